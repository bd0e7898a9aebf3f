import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

import { createCookie } from "@remix-run/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import { createApp } from "../../server/app";
import {
  createSessionId,
  createStoreSessionStorage,
  SessionCookie,
  SessionStoreUnavailableError,
} from "../../session/core";
import { SqliteSessionStore } from "../../session/stores/sqlite";
import { writeSession } from "../../session/stores/store-contract";
import { Browser } from "../support/browser";
import { captureLogs } from "../support/logs";
import { loadAppBuild, TEST_SECRET } from "../support/server";

/**
 * SQLite busy/locked: another process holds the write lock (BEGIN IMMEDIATE). A commit waits up to
 * busy_timeout for it (SQLite's own bounded retry), then fails with SessionStoreUnavailableError,
 * which the server answers with a 503 page. Reads are not blocked (WAL). The Redis outage is covered
 * by tests/redis-outage.test.ts.
 */

const BETTER_SQLITE3 = createRequire(import.meta.url).resolve("better-sqlite3");

// The lock holder runs in another process, as another app instance or a backup job would: the
// store's wait is synchronous, so a holder in this process could never let go during it.
const HOLDER = `
const Database = require(process.argv[1]);
const db = new Database(process.argv[2]);
db.exec("BEGIN IMMEDIATE");
process.stdout.write("locked\\n");
const release = () => {
  process.stdout.write("released " + Date.now() + "\\n");
  db.exec("COMMIT");
  db.close();
  process.exit(0);
};
const holdMs = Number(process.argv[3]);
if (holdMs > 0) setTimeout(release, holdMs);
process.stdin.on("data", release);
`;

/** Another process holding the database's write lock, for `holdMs` (0: until `release()`). */
class WriteLockHolder {
  #child: ChildProcess;
  #exited: Promise<void>;
  #output = "";

  private constructor(child: ChildProcess) {
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once("exit", () => resolve()));
    child.stdout!.on("data", (chunk) => (this.#output += chunk));
  }

  /** Starts the holder and waits until it has the lock. */
  static async start(filename: string, holdMs = 0): Promise<WriteLockHolder> {
    const child = spawn(process.execPath, ["-e", HOLDER, BETTER_SQLITE3, filename, String(holdMs)], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.once("data", () => resolve());
      child.once("exit", (code) => reject(new Error(`lock holder exited with ${code}`)));
    });
    return new WriteLockHolder(child);
  }

  /** Commits and waits until the holder is gone. */
  async release(): Promise<void> {
    if (this.#child.exitCode === null) this.#child.stdin!.write("release\n");
    await this.#exited;
  }

  /** Waits until a timed holder let go by itself, and returns when (Date.now() just before its COMMIT). */
  async releasedAt(): Promise<number> {
    await this.#exited;
    return Number(/released (\d+)/.exec(this.#output)?.[1]);
  }
}

const tempFile = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), "store-faults-")), "sessions.sqlite");
const later = () => new Date(Date.now() + 60_000);

describe("SQLite store under another process's write lock", () => {
  const open: SqliteSessionStore[] = [];
  const holders: WriteLockHolder[] = [];
  const make = (filename: string, busyTimeout: number) => {
    const store = new SqliteSessionStore({ filename, busyTimeout, purgeInterval: 0 });
    open.push(store);
    return store;
  };
  const hold = async (filename: string, holdMs = 0) => {
    const holder = await WriteLockHolder.start(filename, holdMs);
    holders.push(holder);
    return holder;
  };
  afterEach(async () => {
    await Promise.all(holders.splice(0).map((holder) => holder.release()));
    await Promise.all(open.splice(0).map((store) => store.close()));
  });

  it("waits for a lock released within busy_timeout and then commits", async () => {
    const filename = tempFile();
    const store = make(filename, 5_000);
    const id = createSessionId();
    await writeSession(store, id, { set: { before: 1 } }, later());

    const holder = await hold(filename, 300);
    await writeSession(store, id, { set: { during: 1 } }, later());
    const committedAt = Date.now();
    // It committed, and only after the holder let go: it waited instead of failing.
    expect(committedAt).toBeGreaterThanOrEqual(await holder.releasedAt());
    expect((await store.read(id))?.data).toEqual({ before: 1, during: 1 });
  });

  it("gives up after busy_timeout with SessionStoreUnavailableError, changes nothing, and recovers", async () => {
    const filename = tempFile();
    const store = make(filename, 250);
    const id = createSessionId();
    await writeSession(store, id, { set: { before: 1 } }, later());

    const holder = await hold(filename);
    const startedAt = Date.now();
    const error = await writeSession(store, id, { set: { during: 1 } }, later()).catch((caught: unknown) => caught);
    const waited = Date.now() - startedAt;
    expect(error).toBeInstanceOf(SessionStoreUnavailableError);
    expect((error as Error).message).toMatch(/SQLITE_BUSY/);
    // It retried for the whole bound, not less (and returned: the bound holds).
    expect(waited).toBeGreaterThanOrEqual(200);

    // Readers are not blocked by a writer in WAL mode.
    expect((await store.read(id))?.data).toEqual({ before: 1 });

    await holder.release();
    await writeSession(store, id, { set: { after: 1 } }, later());
    expect((await store.read(id))?.data).toEqual({ before: 1, after: 1 });
  });
});

describe("the server while SQLite is locked by another process", () => {
  const logs = captureLogs();
  const filename = tempFile();
  const store = new SqliteSessionStore({ filename, busyTimeout: 250, purgeInterval: 0 });
  let url: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    // The real app, with a store whose busy_timeout is short enough for a test.
    const cookie = new SessionCookie(createCookie, {
      name: "__session",
      secrets: [TEST_SECRET],
      secure: false,
      maxAge: 3600,
    });
    const app = createApp({
      build: await loadAppBuild(),
      sessionStorage: createStoreSessionStorage({ cookie, store }),
      mode: "production",
      log: false,
    });
    const server = app.listen(0, "127.0.0.1");
    await new Promise<void>((resolve) => server.once("listening", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await store.close();
    };
  });
  afterAll(() => close?.());

  it("answers writes with a clear 503, serves reads, and saves again once the lock is gone", async () => {
    const browser = new Browser(url);
    expect((await browser.fetch("/lab/mark/before")).status).toBe(200);
    const cookie = browser.cookie("__session");

    const holder = await WriteLockHolder.start(filename);
    try {
      const page = await browser.fetch("/lab/mark/during");
      expect(page.status).toBe(503);
      expect(page.headers.get("retry-after")).toBe("5");
      expect(page.headers.get("content-type")).toMatch(/^text\/html/);
      expect(await page.text()).toContain("Sessions are unavailable right now");

      const data = await browser.fetch("/lab/mark/during?_data=routes/lab.mark.$key");
      expect(data.status).toBe(503);
      expect(((await data.json()) as { error: string }).error).toBe("Sessions are unavailable right now");

      // Reading needs no write lock.
      expect(Object.keys(await browser.sessionData())).toEqual(["mark:before"]);
      expect(browser.cookie("__session"), "a failed commit leaves the cookie alone").toBe(cookie);
    } finally {
      await holder.release();
    }

    expect((await browser.fetch("/lab/mark/after")).status).toBe(200);
    expect(Object.keys(await browser.sessionData()).sort()).toEqual(["mark:after", "mark:before"]);
    expect(logs.lines).toEqual([
      "[session] SQLite session store failed: SQLITE_BUSY",
      "[session] SQLite session store failed: SQLITE_BUSY",
    ]);
  });
});
