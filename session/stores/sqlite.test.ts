import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";

import { SessionTooLargeError } from "../core/errors";
import { createSessionId } from "../core/id";

import { SqliteSessionStore } from "./sqlite";
import { describeSessionStore, writeSession } from "./store-contract";

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

  it("purges a session whose rolling expiry moved, at its new expiry and not before", async () => {
    let now = Date.UTC(2026, 10, 29, 10, 0);
    const store = make({ now: () => now });
    const id = createSessionId();
    await writeSession(store, id, { set: { a: 1 } }, new Date(now + 60_000));
    // Moved within its hour, then into a later one: either way the purge goes by the last expiry.
    await writeSession(store, id, { set: { b: 1 } }, new Date(now + 120_000));
    now += 90_000;
    expect(store.purgeExpired()).toBe(0);
    await writeSession(store, id, { set: { c: 1 } }, new Date(now + 2 * 60 * 60_000));
    now += 60 * 60_000;
    expect(store.purgeExpired()).toBe(0);
    expect((await store.read(id))?.data).toEqual({ a: 1, b: 1, c: 1 });
    now += 60 * 60_000 + 1;
    expect(store.purgeExpired()).toBe(1);
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

  it("copies commits from the WAL into the database file by itself", async () => {
    const filename = tempFile();
    const store = make({ filename });
    const id = createSessionId();
    await writeSession(store, id, { set: { a: 1 } }, new Date(Date.now() + 60_000));
    // The database file alone, without its WAL, holds the session once a checkpoint copied it there.
    const inMainFile = () => {
      const copy = `${filename}.copy`;
      fs.copyFileSync(filename, copy);
      const db = new Database(copy, { readonly: true });
      try {
        return db.prepare("SELECT count(*) FROM sessions WHERE id = ?").pluck().get(id) === 1;
      } finally {
        db.close();
        fs.rmSync(copy);
      }
    };
    await expect.poll(inMainFile, { timeout: 10_000, interval: 50 }).toBe(true);
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
