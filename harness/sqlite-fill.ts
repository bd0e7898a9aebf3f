import type Database from "better-sqlite3";

/**
 * Inserts `rows` sessions into `db`'s `sessions` table with one INSERT (random 32-character ids, a
 * small JSON session each): fast enough for a million. The i-th row expires at `expires` plus
 * `(i % spreadMinutes)` minutes, so a spread gives the rows different expiries.
 */
export function fillSessions(db: Database.Database, rows: number, expires: number, spreadMinutes = 1): void {
  db.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
     INSERT INTO sessions (id, data, expires)
     SELECT substr(hex(randomblob(16)), 1, 32),
            json_object('visits', i, 'theme', 'light', 'user',
                        json_object('name', 'user' || i, 'signedInAt', '2026-01-01T00:00:00.000Z')),
            ? + (i % ?) * 60000
     FROM n`,
  ).run(rows, expires, spreadMinutes);
}
