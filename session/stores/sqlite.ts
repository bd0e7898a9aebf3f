import fs from "node:fs";
import path from "node:path";

import Database from "better-sqlite3";

import { applyChanges, type SessionChanges } from "../core/changes";
import { SessionStoreUnavailableError, SessionTooLargeError } from "../core/errors";
import type { SessionStore, StoredSession } from "../core/store";

export interface SqliteSessionStoreOptions {
  /** Path of the database file; its folder is created if missing. ":memory:" for a private database. */
  filename: string;
  /** Largest session accepted, in bytes of JSON. */
  maxSessionBytes?: number;
  /** How long a write waits for another process's lock before giving up, in milliseconds. */
  busyTimeout?: number;
  /** How often expired sessions are deleted, in milliseconds; 0 turns the timer off. */
  purgeInterval?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/**
 * Sessions in an embedded SQLite database (WAL mode), one JSON row per session. A commit reads the
 * current row and writes the merged row inside one IMMEDIATE transaction, so commits from any number
 * of requests or processes sharing the file serialise instead of overwriting each other.
 */
export class SqliteSessionStore implements SessionStore {
  #db: Database.Database;
  #now: () => number;
  #maxBytes: number;
  #purgeTimer: ReturnType<typeof setInterval> | undefined;
  #statements;
  #applyTransaction;

  constructor(options: SqliteSessionStoreOptions) {
    const { filename, maxSessionBytes = 64 * 1024, busyTimeout = 5000, purgeInterval = 10 * 60_000 } = options;
    if (filename !== ":memory:") fs.mkdirSync(path.dirname(path.resolve(filename)), { recursive: true });
    this.#now = options.now ?? Date.now;
    this.#maxBytes = maxSessionBytes;
    this.#db = new Database(filename);
    // busy_timeout is SQLite's own bounded retry while another connection holds the write lock.
    this.#db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeout))}`);
    this.#db.pragma("journal_mode = WAL");
    this.#db.pragma("synchronous = NORMAL");
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS sessions (
        id TEXT PRIMARY KEY NOT NULL,
        data TEXT NOT NULL,
        expires INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS sessions_expires ON sessions (expires);
    `);
    this.#statements = {
      read: this.#db.prepare<[string, number], { data: string; expires: number }>(
        "SELECT data, expires FROM sessions WHERE id = ? AND expires > ?",
      ),
      upsert: this.#db.prepare<[string, string, number]>(
        "INSERT INTO sessions (id, data, expires) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET data = excluded.data, expires = excluded.expires",
      ),
      rename: this.#db.prepare<[string, number, string, number]>(
        "UPDATE sessions SET id = ?, expires = ? WHERE id = ? AND expires > ?",
      ),
      touch: this.#db.prepare<[number, string]>("UPDATE sessions SET expires = ? WHERE id = ?"),
      destroy: this.#db.prepare<[string]>("DELETE FROM sessions WHERE id = ?"),
      purge: this.#db.prepare<[number]>("DELETE FROM sessions WHERE expires <= ?"),
      count: this.#db.prepare<[], { n: number }>("SELECT count(*) AS n FROM sessions"),
    };
    this.#applyTransaction = this.#db.transaction((id: string, changes: SessionChanges, expires: number) => {
      const row = this.#statements.read.get(id, this.#now());
      const json = JSON.stringify(applyChanges(row ? JSON.parse(row.data) : {}, changes));
      const bytes = Buffer.byteLength(json);
      if (bytes > this.#maxBytes) {
        throw new SessionTooLargeError("The session", bytes, this.#maxBytes);
      }
      this.#statements.upsert.run(id, json, expires);
    });

    this.purgeExpired();
    if (purgeInterval > 0) {
      this.#purgeTimer = setInterval(() => this.#guard(() => this.purgeExpired()), purgeInterval);
      this.#purgeTimer.unref();
    }
  }

  /** Deletes every expired session and returns how many went. */
  purgeExpired(): number {
    return this.#statements.purge.run(this.#now()).changes;
  }

  /** Number of rows, expired ones included until the next purge. */
  count(): number {
    return this.#statements.count.get()!.n;
  }

  /** Runs `PRAGMA integrity_check` and returns its answer ("ok" when the file is sound). */
  integrityCheck(): string {
    return String(this.#db.pragma("integrity_check", { simple: true }));
  }

  async read(id: string): Promise<StoredSession | null> {
    const row = this.#guard(() => this.#statements.read.get(id, this.#now()));
    return row ? { data: JSON.parse(row.data), expires: new Date(row.expires) } : null;
  }

  async apply(id: string, changes: SessionChanges, expires: Date): Promise<void> {
    this.#guard(() => this.#applyTransaction.immediate(id, changes, expires.getTime()));
  }

  async rename(fromId: string, toId: string, expires: Date): Promise<void> {
    this.#guard(() => this.#statements.rename.run(toId, expires.getTime(), fromId, this.#now()));
  }

  async touch(id: string, expires: Date): Promise<void> {
    this.#guard(() => this.#statements.touch.run(expires.getTime(), id));
  }

  async destroy(id: string): Promise<void> {
    this.#guard(() => this.#statements.destroy.run(id));
  }

  async close(): Promise<void> {
    clearInterval(this.#purgeTimer);
    if (this.#db.open) this.#db.close();
  }

  // Lock timeouts and I/O failures mean "try again later" to the client, not a bug: answer 503.
  #guard<T>(operation: () => T): T {
    try {
      return operation();
    } catch (error) {
      const code = (error as { code?: string }).code ?? "";
      if (/^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL)/.test(code) || !this.#db.open) {
        throw new SessionStoreUnavailableError(`SQLite session store failed: ${code || String(error)}`, {
          cause: error,
        });
      }
      throw error;
    }
  }
}
