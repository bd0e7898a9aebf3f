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

/** Rows given their bucket per transaction when a file of an earlier release is migrated. */
const MIGRATION_BATCH_ROWS = 10_000;

/**
 * Pause between two migration batches, in milliseconds: as long as the longest pause between two
 * tries of a commit waiting for the lock (SqliteLockWait), so such a commit in another process gets
 * its try while the lock is free. SQLite's own busy handler (earlier releases, stores opening) tries
 * every 100 ms at most, so it gets in within a few batches.
 */
const MIGRATION_PAUSE_MS = 50;

/** SQL for the purge bucket of the integer expression `expires` (as purgeBucket, for expires > 0). */
const bucketOf = (expires: string) =>
  `((${expires} + ${PURGE_BUCKET_MS - 1}) / ${PURGE_BUCKET_MS}) * ${PURGE_BUCKET_MS}`;

/**
 * Creates the sessions table, or brings one written by an earlier release up to date. The schema
 * changes are one short IMMEDIATE transaction, so processes starting together on an old file do not
 * both make them; filling in the buckets of an old file's rows (one write of every row) runs after it,
 * batch by batch, each batch its own IMMEDIATE transaction with a pause between them, so that other
 * processes sharing the file commit in between instead of waiting for all of it (see
 * docs/decisions/0091). It runs synchronously, before the store serves: once this returns, every row
 * has its bucket and the purge needs no other index. Batches are idempotent and run at every start
 * (on a migrated file, one that finds nothing): two processes may run them together, and a process
 * that stopped part-way leaves the rest to the next start.
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
    // Files written before the purge buckets indexed `expires` itself. Adding the column changes only
    // the schema; building its index while every row holds 0 is one pass over the table, the only
    // one left in this transaction (about a second at a million sessions), and lets the batches
    // below find the rows still at 0 without scanning.
    if (!columns.has("purge_after")) db.exec("ALTER TABLE sessions ADD COLUMN purge_after INTEGER NOT NULL DEFAULT 0");
    // Rows inserted without a bucket (by a process of an earlier release sharing the file during a
    // deploy, or by hand) get theirs; the store's own inserts carry it and skip the trigger's body.
    db.exec(`
      CREATE INDEX IF NOT EXISTS sessions_purge ON sessions (purge_after);
      CREATE TRIGGER IF NOT EXISTS sessions_purge_bucket AFTER INSERT ON sessions WHEN NEW.purge_after = 0
      BEGIN
        UPDATE sessions SET purge_after = ${bucketOf("NEW.expires")} WHERE id = NEW.id;
      END;
    `);
  }).immediate();

  // Rows still at 0 are found through sessions_purge. A row that expired at the epoch or before has
  // bucket 0 itself and is left out, or the batches would never end.
  const fill = db.prepare(
    `UPDATE sessions SET purge_after = ${bucketOf("expires")}
     WHERE id IN (SELECT id FROM sessions WHERE purge_after = 0 AND expires > 0 LIMIT ${MIGRATION_BATCH_ROWS})`,
  );
  const batch = db.transaction((): boolean => {
    if (fill.run().changes === MIGRATION_BATCH_ROWS) return false;
    // Every row has its bucket now, so the purge finds what it must through sessions_purge alone and
    // the expires index would only cost every commit its upkeep. Not before: the purge's range
    // `purge_after <= ?` takes in every row still at 0 and checks its expiry one by one, and
    // processes of an earlier release still serving the file purge through that index.
    db.exec("DROP INDEX IF EXISTS sessions_expires");
    return true;
  });
  while (!batch.immediate()) pause(MIGRATION_PAUSE_MS);
}

/** Blocks the thread for `ms` milliseconds; only while the store opens, before it serves anything. */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
