import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";

import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";

import { fillSessions } from "../../harness/sqlite-fill";
import { createSessionId } from "../core/id";

import { SqliteSessionStore } from "./sqlite";
import { SQLITE_BUSY_TIMEOUT_MS, SqliteLockWait } from "./sqlite-lock-wait";
import { PURGE_BUCKET_MS } from "./sqlite-schema";
import { planFor, writeSession } from "./store-contract";

const tempFile = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), "sqlite-migration-")), "sessions.sqlite");

/** Rows whose bucket is missing or not the one their expiry names. */
const WRONG_BUCKET = `SELECT count(*) FROM sessions
  WHERE purge_after != ((expires + ${PURGE_BUCKET_MS - 1}) / ${PURGE_BUCKET_MS}) * ${PURGE_BUCKET_MS}`;

/**
 * A sessions file as the releases before the purge buckets wrote it (`expires` indexed, no
 * `purge_after`), empty, with the connection that made it still open.
 */
function earlierReleaseFile(): { filename: string; db: Database.Database } {
  const filename = tempFile();
  const db = new Database(filename);
  db.pragma("journal_mode = WAL");
  db.exec(`
    CREATE TABLE sessions (id TEXT PRIMARY KEY NOT NULL, data TEXT NOT NULL, expires INTEGER NOT NULL,
      lifetime TEXT NOT NULL DEFAULT '') WITHOUT ROWID;
    CREATE INDEX sessions_expires ON sessions (expires);
  `);
  return { filename, db };
}

/**
 * A file of an earlier release holding `rows` live sessions that expire over the next hours, filled by
 * one INSERT.
 */
function fileOfAnEarlierRelease(rows: number): string {
  const { filename, db } = earlierReleaseFile();
  fillSessions(db, rows, Date.now() + 60 * 60_000, 600);
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.close();
  return filename;
}

/** The indexes and triggers the file holds, by name. */
function schemaNames(filename: string): string[] {
  const db = new Database(filename, { readonly: true });
  try {
    return db
      .prepare("SELECT name FROM sqlite_master WHERE type IN ('index', 'trigger') ORDER BY name")
      .pluck()
      .all() as string[];
  } finally {
    db.close();
  }
}

const STORE_MODULE = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), "sqlite.ts")).href;

// The store that migrates runs in another process, as a second app instance starting during a
// rolling deploy would, with its own event loop: this one keeps writing meanwhile.
const OPENER = `
const { SqliteSessionStore } = await import(process.argv[1]);
const started = performance.timeOrigin + performance.now();
const store = new SqliteSessionStore({ filename: process.argv[2], purgeInterval: 0 });
const opened = performance.timeOrigin + performance.now();
await store.close();
process.stdout.write(JSON.stringify({ started, opened }));
`;

/** Opens (and so migrates) `filename` with a SqliteSessionStore in a child process; resolves when it closed it. */
function openInAnotherProcess(filename: string): Promise<{ started: number; opened: number }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--input-type=module", "-e", OPENER, STORE_MODULE, filename],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolve(JSON.parse(output)) : reject(new Error(`opener exited with ${code}`)),
    );
  });
}

interface WriterLog {
  /** Commits made while the file had `purge_after` and rows still without their bucket. */
  duringMigration: number;
  /** Rows without a bucket, counted after each of those commits. */
  pendingCounts: number[];
  /** Longest a commit waited for the lock, in milliseconds. */
  longestWait: number;
  /** Sessions it inserted. */
  inserted: number;
}

/**
 * Another writer sharing the file: one commit after another, each waiting for the lock as the store
 * waits for it (SqliteLockWait, with no deadline here), and inserting a session the way a process of
 * the earlier release did, without a bucket. Before committing it notes whether the migration was
 * under way. Runs until `until` settles.
 */
async function writeAlongside(filename: string, until: Promise<unknown>): Promise<WriterLog> {
  const db = new Database(filename);
  db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  const lockWait = new SqliteLockWait(Number.MAX_SAFE_INTEGER);
  const insert = db.prepare("INSERT INTO sessions (id, data, expires, lifetime) VALUES (?, '{}', ?, '')");
  const commit = db.transaction((): boolean => {
    const columns = (db.pragma("table_info(sessions)") as { name: string }[]).map((column) => column.name);
    const migrating =
      columns.includes("purge_after") &&
      db.prepare("SELECT EXISTS (SELECT 1 FROM sessions WHERE purge_after = 0)").pluck().get() === 1;
    insert.run(createSessionId(), Date.now() + 2 * 60 * 60_000);
    return migrating;
  });
  let settled = false;
  void until.finally(() => (settled = true)).catch(() => {});
  const log: WriterLog = { duringMigration: 0, pendingCounts: [], longestWait: 0, inserted: 0 };
  try {
    while (!settled) {
      const asked = performance.now();
      const migrating = await lockWait.write(() => commit.immediate());
      log.longestWait = Math.max(log.longestWait, performance.now() - asked);
      log.inserted += 1;
      if (migrating) {
        log.duringMigration += 1;
        // Counted outside the lock: a WAL read never holds up the migration.
        log.pendingCounts.push(
          db.prepare("SELECT count(*) FROM sessions WHERE purge_after = 0").pluck().get() as number,
        );
      }
      await sleep(2);
    }
  } finally {
    db.close();
  }
  return log;
}

describe("SqliteSessionStore migrating a file of an earlier release", () => {
  it("lets another process commit while it fills the purge buckets, in more than one transaction", async () => {
    const rows = 200_000;
    const filename = fileOfAnEarlierRelease(rows);
    const opening = openInAnotherProcess(filename);
    const [log, { started, opened }] = await Promise.all([writeAlongside(filename, opening), opening]);

    console.log(
      `migration of ${rows} rows: store opened in ${Math.round(opened - started)} ms; the other writer ` +
        `committed ${log.duringMigration} times during it, its longest wait for the lock ${Math.round(log.longestWait)} ms`,
    );
    // The other writer got the lock while rows still waited for their bucket, more than once, and saw
    // their number go down between its commits: the rows were filled by several transactions.
    expect(log.duringMigration).toBeGreaterThan(1);
    expect(new Set(log.pendingCounts.filter((pending) => pending > 0)).size).toBeGreaterThan(1);

    // And the migration is complete: every row, the other writer's included, has its bucket.
    const db = new Database(filename, { readonly: true });
    try {
      expect(db.prepare("SELECT count(*) FROM sessions").pluck().get()).toBe(rows + log.inserted);
      expect(db.prepare(WRONG_BUCKET).pluck().get()).toBe(0);
    } finally {
      db.close();
    }
    expect(schemaNames(filename)).toEqual(["sessions_purge", "sessions_purge_bucket"]);
  }, 180_000);

  it("is migrated once and correctly by two processes opening it together", async () => {
    const rows = 50_000;
    const filename = fileOfAnEarlierRelease(rows);
    await Promise.all([openInAnotherProcess(filename), openInAnotherProcess(filename)]);

    const db = new Database(filename, { readonly: true });
    try {
      expect(db.prepare("SELECT count(*) FROM sessions").pluck().get()).toBe(rows);
      expect(db.prepare(WRONG_BUCKET).pluck().get()).toBe(0);
      expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    } finally {
      db.close();
    }
    expect(schemaNames(filename)).toEqual(["sessions_purge", "sessions_purge_bucket"]);
  }, 180_000);

  it("finishes a migration that stopped part-way, and drops the expires index only then", async () => {
    const filename = fileOfAnEarlierRelease(25_000);
    // What a process that died between two batches leaves: the column, the new index and the
    // trigger, some rows bucketed, the old index still there; plus a row that expired at the epoch,
    // whose bucket is 0 itself.
    const db = new Database(filename);
    db.exec(`
      ALTER TABLE sessions ADD COLUMN purge_after INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX sessions_purge ON sessions (purge_after);
      UPDATE sessions SET purge_after = ((expires + ${PURGE_BUCKET_MS - 1}) / ${PURGE_BUCKET_MS}) * ${PURGE_BUCKET_MS}
        WHERE id < '8';
      INSERT INTO sessions (id, data, expires, lifetime, purge_after) VALUES ('${"E".repeat(32)}', '{}', 0, '', 0);
    `);
    db.close();

    const store = new SqliteSessionStore({ filename, purgeInterval: 0 });
    try {
      expect(store.count()).toBe(25_000);
    } finally {
      await store.close();
    }
    const check = new Database(filename, { readonly: true });
    try {
      expect(check.prepare(WRONG_BUCKET).pluck().get()).toBe(0);
    } finally {
      check.close();
    }
    expect(schemaNames(filename)).toEqual(["sessions_purge", "sessions_purge_bucket"]);
  }, 60_000);

  it("keeps a session whose bucket is not filled in until it expires, and buckets it on its next commit", async () => {
    let now = Date.now();
    const filename = tempFile();
    const store = new SqliteSessionStore({ filename, purgeInterval: 0, now: () => now });
    try {
      const id = createSessionId();
      await writeSession(store, id, { set: { a: 1 } }, new Date(now + 60_000));
      const other = new Database(filename);
      other.prepare("UPDATE sessions SET purge_after = 0 WHERE id = ?").run(id);
      expect(store.purgeExpired()).toBe(0);
      await writeSession(store, id, { set: { b: 1 } }, new Date(now + 3 * 60 * 60_000));
      expect(other.prepare(WRONG_BUCKET).pluck().get()).toBe(0);
      other.close();
      now += 2 * 60 * 60_000;
      expect(store.purgeExpired()).toBe(0);
      expect((await store.read(id))?.data).toEqual({ a: 1, b: 1 });
      now += 60 * 60_000;
      expect(store.purgeExpired()).toBe(1);
    } finally {
      await store.close();
    }
  });
});

describe("SqliteSessionStore on a file from an earlier release", () => {
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

  /** A file of an earlier release holding one session that expires at `expires`. */
  function fileWithExpiresIndex(expires: number): string {
    const { filename, db } = earlierReleaseFile();
    db.prepare("INSERT INTO sessions VALUES (?, ?, ?, '')").run("B".repeat(32), '{"user":"bo"}', expires);
    db.close();
    return filename;
  }

  it("moves the purge from the expires index to purge buckets and keeps the sessions it holds", async () => {
    let now = Date.now();
    const filename = fileWithExpiresIndex(now + 60_000);
    const store = new SqliteSessionStore({ filename, purgeInterval: 0, now: () => now });
    try {
      expect(await store.read("B".repeat(32))).toMatchObject({ data: { user: "bo" } });
      expect(store.purgeExpired()).toBe(0);
      now += 120_000;
      expect(store.purgeExpired()).toBe(1);
    } finally {
      await store.close();
    }
    const db = new Database(filename, { readonly: true });
    const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").pluck().all();
    db.close();
    expect(indexes).toEqual(["sessions_purge"]);
  });

  it("purges a session that a process of an earlier release inserted after the upgrade", async () => {
    let now = Date.now();
    const filename = tempFile();
    const store = new SqliteSessionStore({ filename, purgeInterval: 0, now: () => now });
    try {
      // The earlier release's insert names only the columns it knew.
      const old = new Database(filename);
      old.prepare("INSERT INTO sessions (id, data, expires) VALUES (?, '{}', ?)").run("C".repeat(32), now + 60_000);
      old.close();
      expect(store.purgeExpired()).toBe(0);
      now += 120_000;
      expect(store.purgeExpired()).toBe(1);
    } finally {
      await store.close();
    }
  });
});
