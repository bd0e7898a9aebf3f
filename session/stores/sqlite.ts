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

import { SqliteCheckpointer } from "./sqlite-checkpointer";
import { SQLITE_BUSY_TIMEOUT_MS, SqliteLockWait } from "./sqlite-lock-wait";
import { DEFAULT_LOCK_TIMEOUT_MS, type SqliteSessionStoreOptions } from "./sqlite-options";
import { prepareSessionsTable, purgeBucket } from "./sqlite-schema";

export {
  DEFAULT_LOCK_TIMEOUT_MS,
  SQLITE_SYNCHRONOUS_MODES,
  type SqliteSessionStoreOptions,
  type SqliteSynchronous,
} from "./sqlite-options";

interface SessionRow {
  data: string;
  expires: number;
  lifetime: string;
  purge_after: number;
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
  #lockWait: SqliteLockWait;
  #checkpointer: SqliteCheckpointer | undefined;

  constructor(options: SqliteSessionStoreOptions) {
    const {
      filename,
      maxSessionBytes = DEFAULT_MAX_SESSION_BYTES,
      lockTimeout = DEFAULT_LOCK_TIMEOUT_MS,
      synchronous = "normal",
      purgeInterval = 10 * 60_000,
    } = options;
    if (filename !== ":memory:") fs.mkdirSync(path.dirname(path.resolve(filename)), { recursive: true });
    this.#now = options.now ?? Date.now;
    this.#maxBytes = maxSessionBytes;
    this.#db = new Database(filename);
    this.#lockWait = new SqliteLockWait(Math.max(0, lockTimeout));
    // Opening may wait for the lock the whole deadline, in SQLite's own blocking retry: nothing is
    // served yet. Requests later wait between short tries (see SqliteLockWait).
    this.#db.pragma(`busy_timeout = ${Math.max(0, Math.floor(lockTimeout))}`);
    const journal = String(this.#db.pragma("journal_mode = WAL", { simple: true }));
    // See docs/decisions/0075: NORMAL survives a crashed process, FULL also a power cut.
    const syncLevel = synchronous === "full" ? "FULL" : "NORMAL";
    this.#db.pragma(`synchronous = ${syncLevel}`);
    // Holds every interior page of both b-trees up to about ten million sessions, so a commit misses
    // the cache at most on the leaves it touches. Memory is taken as pages are read, up to 16 MiB.
    this.#db.pragma("cache_size = -16384");
    // On a file of an earlier release this takes seconds at a million sessions, in short transactions
    // that other processes' commits interleave with; each may wait for the lock the whole deadline.
    prepareSessionsTable(this.#db);
    this.#statements = {
      read: this.#db.prepare<[string, number], SessionRow>(
        "SELECT data, expires, lifetime, purge_after FROM sessions WHERE id = ? AND expires > ?",
      ),
      upsert: this.#db.prepare<[string, string, number, string, number]>(
        "INSERT INTO sessions (id, data, expires, lifetime, purge_after) VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET data = excluded.data, expires = excluded.expires, lifetime = excluded.lifetime, purge_after = excluded.purge_after",
      ),
      // Leaves purge_after, and so its index, alone: SQLite updates every index on a column it sets.
      update: this.#db.prepare<[string, number, string, string]>(
        "UPDATE sessions SET data = ?, expires = ?, lifetime = ? WHERE id = ?",
      ),
      destroy: this.#db.prepare<[string]>("DELETE FROM sessions WHERE id = ?"),
      // Whole buckets that ended, plus the expired rows of the current one.
      purge: this.#db.prepare<[number, number]>("DELETE FROM sessions WHERE purge_after <= ? AND expires <= ?"),
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
        const expires = plan.expires.getTime();
        const bucket = purgeBucket(expires);
        const lifetime = lifetimeToText(plan.lifetime);
        if (row && plan.readId === plan.id && row.purge_after === bucket) {
          this.#statements.update.run(json, expires, lifetime, plan.id);
        } else {
          this.#statements.upsert.run(plan.id, json, expires, lifetime, bucket);
        }
      }
      return "committed";
    });

    this.purgeExpired();
    this.#db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    if (journal === "wal") {
      // Checkpoints move to a worker thread (see SqliteCheckpointer); if it ever stops, SQLite's own
      // checkpoint every 1000 WAL pages takes over again.
      this.#db.pragma("wal_autocheckpoint = 0");
      this.#checkpointer = new SqliteCheckpointer(filename, syncLevel, () => {
        if (this.#db.open) this.#db.pragma("wal_autocheckpoint = 1000");
      });
    }
    if (purgeInterval > 0) {
      // A purge that meets a lock for longer than the deadline is simply the next one's work.
      this.#purgeTimer = setInterval(
        () => this.#lockWait.write(() => this.purgeExpired()).catch(() => {}),
        purgeInterval,
      );
      this.#purgeTimer.unref();
    }
  }

  /** Deletes every expired session and returns how many went. */
  purgeExpired(): number {
    const now = this.#now();
    return this.#statements.purge.run(purgeBucket(now), now).changes;
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
    const row = await this.#lockWait.read(() => this.#statements.read.get(id, this.#now())).catch(this.#failure);
    return row
      ? { data: JSON.parse(row.data), expires: new Date(row.expires), lifetime: lifetimeFromText(row.lifetime) }
      : null;
  }

  async commit(plan: CommitPlan): Promise<CommitResult> {
    return this.#lockWait.write(() => this.#commitTransaction.immediate(plan)).catch(this.#failure);
  }

  async close(): Promise<void> {
    clearInterval(this.#purgeTimer);
    await this.#checkpointer?.stop();
    if (this.#db.open) this.#db.close();
  }

  // Lock timeouts and I/O failures mean "try again later" to the client, not a bug: answer 503.
  #failure = (error: unknown): never => {
    if (error instanceof SessionStoreUnavailableError) throw error;
    const code = (error as { code?: string }).code ?? "";
    if (/^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL)/.test(code) || !this.#db.open) {
      throw new SessionStoreUnavailableError(`SQLite session store failed: ${code || String(error)}`, {
        cause: error,
      });
    }
    throw error;
  };
}
