import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";

import { SessionTooLargeError } from "../core/errors";
import { createSessionId } from "../core/id";

import { SqliteSessionStore } from "./sqlite";
import { describeSessionStore, planFor, writeSession } from "./store-contract";

const tempFile = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), "sqlite-store-")), "sessions.sqlite");

describeSessionStore(
  "sqlite",
  (options) => new SqliteSessionStore({ filename: tempFile(), purgeInterval: 0, ...options }),
);

describe("SqliteSessionStore", () => {
  const open: SqliteSessionStore[] = [];
  const make = (options: Partial<ConstructorParameters<typeof SqliteSessionStore>[0]> = {}) => {
    const store = new SqliteSessionStore({ filename: tempFile(), purgeInterval: 0, ...options });
    open.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((store) => store.close()));
  });

  it("keeps its data in a WAL-mode file under the data folder", async () => {
    const filename = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "sqlite-store-")), "nested", "s.sqlite");
    const store = make({ filename });
    await writeSession(store, createSessionId(), { set: { a: 1 } }, new Date(Date.now() + 60_000));
    expect(fs.existsSync(filename)).toBe(true);
    expect(fs.existsSync(`${filename}-wal`)).toBe(true);
  });

  it("purges expired sessions and keeps live ones", async () => {
    let now = Date.now();
    const store = make({ now: () => now });
    const live = createSessionId();
    const dead = createSessionId();
    await writeSession(store, live, { set: { a: 1 } }, new Date(now + 60_000));
    await writeSession(store, dead, { set: { a: 1 } }, new Date(now + 1_000));
    now += 5_000;
    expect(store.purgeExpired()).toBe(1);
    expect(store.count()).toBe(1);
    expect(await store.read(live)).not.toBeNull();
  });

  it("merges commits from two connections to the same file", async () => {
    const filename = tempFile();
    const a = make({ filename });
    const b = make({ filename });
    const id = createSessionId();
    const expires = new Date(Date.now() + 60_000);
    await writeSession(a, id, { set: { fromA: 1 } }, expires);
    await writeSession(b, id, { set: { fromB: 1 } }, expires);
    expect((await a.read(id))?.data).toEqual({ fromA: 1, fromB: 1 });
  });

  it("refuses a session over the size limit and leaves the stored data as it was", async () => {
    const store = make({ maxSessionBytes: 2048 });
    const id = createSessionId();
    const expires = new Date(Date.now() + 60_000);
    await writeSession(store, id, { set: { small: "x" } }, expires);
    await expect(writeSession(store, id, { set: { big: "x".repeat(4096) } }, expires)).rejects.toThrow(
      SessionTooLargeError,
    );
    expect((await store.read(id))?.data).toEqual({ small: "x" });
  });
});

describe("SqliteSessionStore on a file from the previous release", () => {
  /** A sessions table without the lifetime column, as the first release wrote it. */
  function oldFile(): string {
    const filename = tempFile();
    const db = new Database(filename);
    db.pragma("journal_mode = WAL");
    db.exec(
      "CREATE TABLE sessions (id TEXT PRIMARY KEY NOT NULL, data TEXT NOT NULL, expires INTEGER NOT NULL) WITHOUT ROWID",
    );
    db.prepare("INSERT INTO sessions VALUES (?, ?, ?)").run("A".repeat(32), '{"user":"ada"}', Date.now() + 60_000);
    db.close();
    return filename;
  }

  it("adds the lifetime column and keeps the sessions it holds", async () => {
    const filename = oldFile();
    const store = new SqliteSessionStore({ filename, purgeInterval: 0 });
    try {
      expect(await store.read("A".repeat(32))).toMatchObject({ data: { user: "ada" }, lifetime: null });
      await store.commit(planFor("A".repeat(32), { lifetime: "browser" }));
      expect((await store.read("A".repeat(32)))?.lifetime).toBe("browser");
    } finally {
      await store.close();
    }
    // Opening it again finds the column there.
    await new SqliteSessionStore({ filename, purgeInterval: 0 }).close();
  });
});
