import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";

import { createCookie } from "@remix-run/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import { Browser } from "../../harness/browser";
import { createApp } from "../../server/app";
import {
  createSessionId,
  createStoreSessionStorage,
  SessionCookie,
  SessionStoreUnavailableError,
} from "auto-commit-session";
import { SqliteSessionStore } from "auto-commit-session/stores/sqlite";
import { writeSession } from "../../session/stores/store-contract";
import { captureLogs } from "../support/logs";
import { loadAppBuild, startTestServer, TEST_SECRET } from "../support/server";

/**
 * SQLite busy/locked: another process holds the write lock (BEGIN IMMEDIATE). A commit waits up to
 * the lock timeout for it, trying again between short waits without holding the event loop, then
 * fails with SessionStoreUnavailableError, which the server answers with a 503 page. Reads are not
 * blocked (WAL), nor held up by the waiting commit. The Redis outage is covered by
 * tests/redis-outage.test.ts.
 */

const BETTER_SQLITE3 = createRequire(import.meta.url).resolve("better-sqlite3");

// The lock holder runs in another process, as another app instance or a backup job would, on a clock
// and an event loop of its own.
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
  const make = (filename: string, lockTimeout: number) => {
    const store = new SqliteSessionStore({ filename, lockTimeout, purgeInterval: 0 });
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

  it("waits for a lock released within the lock timeout and then commits", async () => {
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

  it("commits the writes that waited together in the order they came, once the lock is released", async () => {
    const filename = tempFile();
    const store = make(filename, 5_000);
    const id = createSessionId();
    await writeSession(store, id, { set: { before: 1 } }, later());

    const holder = await hold(filename, 300);
    const writes = [1, 2, 3, 4, 5].map((n) => writeSession(store, id, { set: { last: n, [`w${n}`]: 1 } }, later()));
    await Promise.all(writes);
    expect(Date.now()).toBeGreaterThanOrEqual(await holder.releasedAt());
    expect((await store.read(id))?.data).toEqual({ before: 1, last: 5, w1: 1, w2: 1, w3: 1, w4: 1, w5: 1 });
  });

  it("gives up after the lock timeout with SessionStoreUnavailableError, changes nothing, and recovers", async () => {
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
  const store = new SqliteSessionStore({ filename, lockTimeout: 250, purgeInterval: 0 });
  let url: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    // The real app, with a store whose lock timeout is short enough for a test.
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

// Reads the session over HTTP from another process, so each answer's time is measured on a clock the
// server's event loop cannot hold up. One untimed read first (a process's first fetch is slow), then
// "ready"; for each line on stdin, `count` timed reads `gapMs` apart, printed as one JSON line.
const READER = `
const [url, cookie, count, gapMs] = process.argv.slice(1);
const readOnce = async () => {
  const sentAt = Date.now();
  const response = await fetch(url + "/lab/session", { headers: { cookie } });
  const keys = Object.keys(await response.json().catch(() => ({})));
  return { sentAt, doneAt: Date.now(), status: response.status, keys };
};
readOnce().then(() => {
  process.stdout.write("ready\\n");
  require("node:readline").createInterface({ input: process.stdin }).on("line", async () => {
    const reads = [];
    for (let i = 0; i < Number(count); i++) {
      reads.push(await readOnce());
      await new Promise((resolve) => setTimeout(resolve, Number(gapMs)));
    }
    process.stdout.write(JSON.stringify(reads) + "\\n");
  });
  process.stdin.once("end", () => process.exit(0));
});
`;

interface TimedRead {
  sentAt: number;
  doneAt: number;
  status: number;
  keys: string[];
}

/** Another process that reads the session over HTTP, timing each answer. */
class SessionReader {
  #child: ChildProcess;
  #lines: string[] = [];
  #waiting: ((line: string) => void) | undefined;

  private constructor(child: ChildProcess) {
    this.#child = child;
    let buffer = "";
    child.stdout!.on("data", (chunk) => {
      buffer += chunk;
      for (let end = buffer.indexOf("\n"); end >= 0; end = buffer.indexOf("\n")) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        if (this.#waiting) this.#waiting(line);
        else this.#lines.push(line);
      }
    });
  }

  /** Starts the reader with `cookie` and waits until its first, untimed read is done. */
  static async start(url: string, cookie: string, count: number, gapMs: number): Promise<SessionReader> {
    const child = spawn(process.execPath, ["-e", READER, url, cookie, String(count), String(gapMs)], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    const reader = new SessionReader(child);
    const exited = new Promise<never>((_, reject) =>
      child.once("exit", (code) => reject(new Error(`reader exited with ${code}`))),
    );
    exited.catch(() => {});
    await Promise.race([reader.#nextLine(), exited]);
    return reader;
  }

  /** Makes one round of timed reads and returns them. */
  async read(): Promise<TimedRead[]> {
    this.#child.stdin!.write("go\n");
    return JSON.parse(await this.#nextLine()) as TimedRead[];
  }

  /** Lets the reader exit. */
  stop(): void {
    this.#child.stdin!.end();
  }

  #nextLine(): Promise<string> {
    const line = this.#lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve) => {
      this.#waiting = (next) => {
        this.#waiting = undefined;
        resolve(next);
      };
    });
  }
}

const slowest = (reads: TimedRead[]) => Math.max(...reads.map((read) => read.doneAt - read.sentAt));

/**
 * Asserts that every read during the lock found the session as it was before, and was answered in far
 * less time than the lock was held: a wait that held the event loop would hold each read for as long as
 * the lock, seconds here. The target is 100 ms on top of the same reader's slowest read with no
 * lock held (`baseline`); that figure is printed, not asserted, because on a machine busy with other
 * work a plain read alone can take several hundred milliseconds.
 */
function expectReadsAnswered(reads: TimedRead[], baseline: TimedRead[], keys: string[]) {
  const times = reads.map((read) => read.doneAt - read.sentAt);
  const extra = slowest(reads) - slowest(baseline);
  console.info(
    `read times in ms during the lock: ${times.join(", ")}; slowest without it: ${slowest(baseline)}; ` +
      `${extra <= 100 ? "within" : "over"} the 100 ms target`,
  );
  expect(extra, `read times in ms during the lock: ${times.join(", ")}`).toBeLessThan(1_000);
  for (const read of reads) expect(read).toMatchObject({ status: 200, keys });
}

describe("the server while a commit waits for another process's write lock", () => {
  const logs = captureLogs();
  let server: Awaited<ReturnType<typeof startTestServer>> | undefined;
  const readers: SessionReader[] = [];
  afterEach(async () => {
    for (const reader of readers.splice(0)) reader.stop();
    await server?.close();
    server = undefined;
  });

  /** The event-loop delay while `during` runs, in ms. */
  async function eventLoopDelay<T>(during: () => Promise<T>): Promise<T & { p99: number; max: number }> {
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const result = await during();
    delay.disable();
    const measured = { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 };
    console.info(
      `event-loop delay during the lock wait: p99 ${measured.p99.toFixed(1)} ms, max ${measured.max.toFixed(1)} ms`,
    );
    return { ...result, ...measured };
  }

  it("answers reads while a write waits, and commits the write once the lock is released", async () => {
    server = await startTestServer({ env: { SESSION_STORE: "sqlite" } });
    const browser = new Browser(server.url);
    expect((await browser.fetch("/lab/mark/before")).status).toBe(200);
    const reader = await SessionReader.start(server.url, browser.cookieHeader, 15, 100);
    readers.push(reader);
    const baseline = await reader.read();

    const holder = await WriteLockHolder.start(path.join(server.config.dataDir, "sessions.sqlite"), 3_000);
    const { reads, written } = await eventLoopDelay(async () => {
      const write = browser.fetch("/lab/mark/during").then((response) => ({ status: response.status, at: Date.now() }));
      return { reads: await reader.read(), written: await write };
    });
    const releasedAt = await holder.releasedAt();

    expectReadsAnswered(reads, baseline, ["mark:before"]);
    // Real overlap: every read was answered while the lock was held, and the write saved only after.
    expect(Math.max(...reads.map((read) => read.doneAt))).toBeLessThan(releasedAt);
    expect(written.status).toBe(200);
    expect(written.at).toBeGreaterThanOrEqual(releasedAt);
    expect(Object.keys(await browser.sessionData()).sort()).toEqual(["mark:before", "mark:during"]);
    expect(logs.lines).toEqual([]);
  });

  it("answers reads while a write waits past the deadline, and the write a 503", async () => {
    server = await startTestServer({ env: { SESSION_STORE: "sqlite", SQLITE_LOCK_TIMEOUT_MS: "2500" } });
    const browser = new Browser(server.url);
    expect((await browser.fetch("/lab/mark/before")).status).toBe(200);
    const reader = await SessionReader.start(server.url, browser.cookieHeader, 15, 100);
    readers.push(reader);
    const baseline = await reader.read();

    const holder = await WriteLockHolder.start(path.join(server.config.dataDir, "sessions.sqlite"));
    try {
      const startedAt = Date.now();
      const { reads, written } = await eventLoopDelay(async () => {
        const write = browser
          .fetch("/lab/mark/during")
          .then((response) => ({ status: response.status, at: Date.now() }));
        return { reads: await reader.read(), written: await write };
      });
      expectReadsAnswered(reads, baseline, ["mark:before"]);
      // Real overlap: every read was answered while the write still waited.
      expect(Math.max(...reads.map((read) => read.doneAt))).toBeLessThan(written.at);
      expect(written.status).toBe(503);
      // It waited out the deadline, no less.
      expect(written.at - startedAt).toBeGreaterThanOrEqual(2_500);
    } finally {
      await holder.release();
    }
    expect((await browser.fetch("/lab/mark/after")).status).toBe(200);
    expect(Object.keys(await browser.sessionData()).sort()).toEqual(["mark:after", "mark:before"]);
    expect(logs.lines).toEqual(["[session] SQLite session store failed: SQLITE_BUSY"]);
  });
});
