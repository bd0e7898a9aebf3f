import type Database from "better-sqlite3";

/**
 * Width of the purge buckets, in milliseconds. A session's `purge_after` is its expiry rounded up to
 * the hour, and only that column is indexed: a rolling expiry moves a session's index entry once an
 * hour at most, instead of on every commit (at a million sessions, that move was most of a commit).
 */
export const PURGE_BUCKET_MS = 60 * 60_000;

/** The purge bucket of an expiry: the end of its hour. */
export function purgeBucket(expires: number): number {
  return Math.ceil(expires / PURGE_BUCKET_MS) * PURGE_BUCKET_MS;
}

/**
 * Creates the sessions table, or brings one written by an earlier release up to date, in one
 * IMMEDIATE transaction: processes starting together on an old file must not both migrate it.
 */
export function prepareSessionsTable(db: Database.Database): void {
  db.transaction(() => {
    db.exec(`
      CREATE TABLE IF NOT EXISTS sessions (
        id TEXT PRIMARY KEY NOT NULL,
        data TEXT NOT NULL,
        expires INTEGER NOT NULL,
        lifetime TEXT NOT NULL DEFAULT '',
        purge_after INTEGER NOT NULL DEFAULT 0
      ) WITHOUT ROWID;
    `);
    const columns = new Set((db.pragma("table_info(sessions)") as { name: string }[]).map((column) => column.name));
    // Files written before sessions had their own lifetime lack the column.
    if (!columns.has("lifetime")) db.exec("ALTER TABLE sessions ADD COLUMN lifetime TEXT NOT NULL DEFAULT ''");
    // Files written before the purge buckets indexed `expires` itself: bucket every row once.
    if (!columns.has("purge_after")) {
      db.exec("ALTER TABLE sessions ADD COLUMN purge_after INTEGER NOT NULL DEFAULT 0");
      db.prepare(
        `UPDATE sessions SET purge_after = ((expires + ${PURGE_BUCKET_MS - 1}) / ${PURGE_BUCKET_MS}) * ${PURGE_BUCKET_MS}`,
      ).run();
    }
    // Rows inserted without a bucket (by a process of an earlier release sharing the file during a
    // deploy, or by hand) get theirs; the store's own inserts carry it and skip the trigger's body.
    db.exec(`
      CREATE INDEX IF NOT EXISTS sessions_purge ON sessions (purge_after);
      DROP INDEX IF EXISTS sessions_expires;
      CREATE TRIGGER IF NOT EXISTS sessions_purge_bucket AFTER INSERT ON sessions WHEN NEW.purge_after = 0
      BEGIN
        UPDATE sessions SET purge_after = ((NEW.expires + ${PURGE_BUCKET_MS - 1}) / ${PURGE_BUCKET_MS}) * ${PURGE_BUCKET_MS}
        WHERE id = NEW.id;
      END;
    `);
  }).immediate();
}
