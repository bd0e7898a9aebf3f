import fs from "node:fs";
import path from "node:path";

import Database from "better-sqlite3";

import { GONE, nextSessionData } from "../core/commit-plan";
import { SessionStoreUnavailableError } from "../core/errors";
import { DEFAULT_MAX_SESSION_BYTES, enforceSizeLimit } from "../core/size-limit";
import {
  lifetimeFromText,
  lifetimeToText,
  type CommitPlan,
  type CommitResult,
  type SessionStore,
  type StoredSession,
} from "../core/store";

export interface SqliteSessionStoreOptions {
  /** Path of the database file; its folder is created if missing. ":memory:" for a private database. */
  filename: string;
  /** Largest session accepted, in UTF-8 bytes of its JSON; 0: no limit. */
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
 * current row and writes the merged row (deleting or moving the old one on sign-out and sign-in)
 * inside one IMMEDIATE transaction, so commits from any number of requests or processes sharing the
 * file serialise instead of overwriting each other, and a refused or failed commit changes nothing.
 */
export class SqliteSessionStore implements SessionStore {
  #db: Database.Database;
  #now: () => number;
  #maxBytes: number;
  #purgeTimer: ReturnType<typeof setInterval> | undefined;
  #statements;
  #commitTransaction;

  constructor(options: SqliteSessionStoreOptions) {
    const {
      filename,
      maxSessionBytes = DEFAULT_MAX_SESSION_BYTES,
      busyTimeout = 5000,
      purgeInterval = 10 * 60_000,
    } = options;
    if (filename !== ":memory:") fs.mkdirSync(path.dirname(path.resolve(filename)), { recursive: true });
    this.#now = options.now ?? Date.now;
    this.#maxBytes = maxSessionBytes;
    this.#db = new Database(filename);
    // busy_timeout is SQLite's own bounded retry while another connection holds the write lock.
    this.#db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeout))}`);
    this.#db.pragma("journal_mode = WAL");
    this.#db.pragma("synchronous = NORMAL");
    // One IMMEDIATE transaction: processes starting together on a file from an older release must not
    // both add the column.
    this.#db
      .transaction(() => {
        this.#db.exec(`
          CREATE TABLE IF NOT EXISTS sessions (
            id TEXT PRIMARY KEY NOT NULL,
            data TEXT NOT NULL,
            expires INTEGER NOT NULL,
            lifetime TEXT NOT NULL DEFAULT ''
          ) WITHOUT ROWID;
          CREATE INDEX IF NOT EXISTS sessions_expires ON sessions (expires);
        `);
        // Files written before sessions had their own lifetime lack the column.
        const columns = this.#db.pragma("table_info(sessions)") as { name: string }[];
        if (!columns.some((column) => column.name === "lifetime")) {
          this.#db.exec("ALTER TABLE sessions ADD COLUMN lifetime TEXT NOT NULL DEFAULT ''");
        }
      })
      .immediate();
    this.#statements = {
      read: this.#db.prepare<[string, number], { data: string; expires: number; lifetime: string }>(
        "SELECT data, expires, lifetime FROM sessions WHERE id = ? AND expires > ?",
      ),
      upsert: this.#db.prepare<[string, string, number, string]>(
        "INSERT INTO sessions (id, data, expires, lifetime) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET data = excluded.data, expires = excluded.expires, lifetime = excluded.lifetime",
      ),
      destroy: this.#db.prepare<[string]>("DELETE FROM sessions WHERE id = ?"),
      purge: this.#db.prepare<[number]>("DELETE FROM sessions WHERE expires <= ?"),
      count: this.#db.prepare<[], { n: number }>("SELECT count(*) AS n FROM sessions"),
    };
    this.#commitTransaction = this.#db.transaction((plan: CommitPlan): CommitResult => {
      const row = plan.readId === null ? undefined : this.#statements.read.get(plan.readId, this.#now());
      const next = nextSessionData(plan, row ? JSON.parse(row.data) : null);
      if (next === GONE) return "gone";
      const json = next === null ? null : JSON.stringify(next);
      // Thrown inside the transaction: SQLite rolls back whatever this commit had done.
      if (json !== null) enforceSizeLimit(json, this.#maxBytes);
      if (plan.readId !== null && plan.readId !== plan.id) this.#statements.destroy.run(plan.readId);
      if (plan.id !== null && json !== null) {
        this.#statements.upsert.run(plan.id, json, plan.expires.getTime(), lifetimeToText(plan.lifetime));
      }
      return "committed";
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
    return row
      ? { data: JSON.parse(row.data), expires: new Date(row.expires), lifetime: lifetimeFromText(row.lifetime) }
      : null;
  }

  async commit(plan: CommitPlan): Promise<CommitResult> {
    return this.#guard(() => this.#commitTransaction.immediate(plan));
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
