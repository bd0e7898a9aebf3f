/**
 * `context.lab`: set by the server when LAB_ROUTES is on (the `/lab/*` routes exist), null or absent
 * when it is off. What the concurrency lab needs to explain the store it runs against.
 */
export interface LabContext {
  /** The session store, as SESSION_STORE names it: sqlite, redis, memory, cookie or kv. */
  store: string;
  /** Whether commits of one session running at the same time keep each other's keys. */
  merges: boolean;
  /** About the most JSON, in bytes, the session may hold before a commit fails. */
  sessionLimitBytes: number;
}

/** What every runtime adds to the load context besides the session. */
export interface AppContextExtras {
  lab?: LabContext | null;
}

/** How many fetchers each side of the lab fires at once. */
export const WRITERS = 20;

/** What the session holds and how much more it may hold, for the lab's size meter. */
export interface Room {
  /** UTF-8 bytes of the session's JSON now. */
  bytes: number;
  /** About the most it may hold before a commit fails. */
  limit: number;
  /** About what one run of the lab adds on the merge side. */
  perRun: number;
  /** How many more runs fit; at 0 the lab refuses to fire, before a commit would fail. */
  runsLeft: number;
  /** How many `mark:` keys the session holds (what a reset removes). */
  labKeys: number;
  store: string;
  merges: boolean;
}
