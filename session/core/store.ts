import type { SessionChanges, SessionRecord } from "./changes";

/** A session as a store holds it. */
export interface StoredSession {
  /** The session's data. */
  data: SessionRecord;
  /** When the store forgets the session. */
  expires: Date;
}

/**
 * The contract every server-side store implements (memory, SQLite, Redis, Workers KV).
 *
 * It is deliberately small: the session layer above it handles cookies, ids, flashes and expiry
 * policy. Rules every store keeps:
 * - `read` never returns an expired session.
 * - `apply` is atomic with respect to every other `apply` on the same id: it lands the changes on
 *   the data held at that moment (creating the session if the id is unknown) and never writes back
 *   a snapshot taken earlier. Stores that cannot promise this say so in the README's guarantee table.
 * - Failures to reach the backend throw `SessionStoreUnavailableError`.
 */
export interface SessionStore {
  /** Returns the session stored under `id`, or null when it is unknown or expired. */
  read(id: string): Promise<StoredSession | null>;
  /** Atomically applies `changes` onto the current data of `id` and sets its expiry. */
  apply(id: string, changes: SessionChanges, expires: Date): Promise<void>;
  /** Moves the data of `fromId` to `toId` and deletes `fromId`; a missing `fromId` is not an error. */
  rename(fromId: string, toId: string, expires: Date): Promise<void>;
  /** Extends the expiry of `id` without touching its data. */
  touch(id: string, expires: Date): Promise<void>;
  /** Deletes `id`; a missing id is not an error. */
  destroy(id: string): Promise<void>;
  /** Releases connections, timers and file handles. */
  close(): Promise<void>;
}
