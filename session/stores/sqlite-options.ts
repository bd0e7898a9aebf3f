// The SQLite store's options and their defaults, apart from the store so that settings code can
// name them without loading the native driver.

/** How long a commit waits for another process's write lock by default, in milliseconds. */
export const DEFAULT_LOCK_TIMEOUT_MS = 5000;

/** The `synchronous` levels the store offers (see docs/decisions/0075). */
export const SQLITE_SYNCHRONOUS_MODES = ["normal", "full"] as const;

/** "normal": a commit survives the process dying; "full": also a power cut, for an fsync per commit. */
export type SqliteSynchronous = (typeof SQLITE_SYNCHRONOUS_MODES)[number];

export interface SqliteSessionStoreOptions {
  /** Path of the database file; its folder is created if missing. ":memory:" for a private database. */
  filename: string;
  /** Largest session accepted, in UTF-8 bytes of its JSON; 0: no limit. */
  maxSessionBytes?: number;
  /**
   * How long a commit waits for another process's write lock before failing with
   * SessionStoreUnavailableError, in milliseconds. The wait is asynchronous: other requests go on.
   */
  lockTimeout?: number;
  /** When a commit is on disk: "normal" (the default) or "full". */
  synchronous?: SqliteSynchronous;
  /** How often expired sessions are deleted, in milliseconds; 0 turns the timer off. */
  purgeInterval?: number;
  /** Clock, for tests. */
  now?: () => number;
}
