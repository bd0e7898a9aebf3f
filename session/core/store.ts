import type { SessionChanges, SessionRecord } from "./changes";

/**
 * How long a session lives: a number of seconds (the cookie gets that `Max-Age`, the store keeps the
 * session that long), or "browser" (a cookie without `Max-Age` that the browser drops when it closes,
 * and the storage's shorter server-side lifetime).
 */
export type Lifetime = number | "browser";

/** A session as a store holds it. */
export interface StoredSession {
  /** The session's data. */
  data: SessionRecord;
  /** When the store forgets the session. */
  expires: Date;
  /** The lifetime chosen for this session; null for the storage's default. */
  lifetime: Lifetime | null;
}

/**
 * Everything one request did to its session, committed as one store operation.
 *
 * - `readId` null: the session is new; it is created under `id`.
 * - `destroy`: whatever `readId` held is deleted; `changes` (if any) start an empty session under `id`.
 * - otherwise the session read under `readId` is updated and ends up under `id` (a new id when it was
 *   regenerated, the same one when not). If `readId` is gone when the commit runs (signed out,
 *   regenerated or expired meanwhile), nothing at all is written and the commit reports "gone".
 */
export interface CommitPlan {
  /** The id the request read the session under, or null for a session the store never held. */
  readId: string | null;
  /** Delete the data held under `readId` (sign out). */
  destroy: boolean;
  /** The id the session lives under afterwards; null when a destroy leaves nothing to keep. */
  id: string | null;
  /** What the request changed; applied onto the data the store holds now, never onto a snapshot. */
  changes: SessionChanges;
  /** When the store forgets the session under `id`. */
  expires: Date;
  /** The lifetime to keep with the session (null: the storage's default). */
  lifetime: Lifetime | null;
}

/** "committed", or "gone" when the session the request read no longer exists and nothing was written. */
export type CommitResult = "committed" | "gone";

/**
 * The contract every server-side store implements (memory, SQLite, Redis, Workers KV).
 *
 * It is deliberately small: the session layer above it handles cookies, ids, flashes and expiry
 * policy. Rules every store keeps:
 * - `read` never returns an expired session.
 * - `commit` is one atomic operation: it lands the whole plan (delete, move, merge, expiry) or, when it
 *   throws or answers "gone", changes nothing. Concurrent commits on one id serialise; each applies its
 *   changes onto the data held at that moment, never onto a snapshot taken earlier.
 * - A session read from the store is only ever updated, never recreated: a commit whose `readId` is
 *   gone answers "gone" (so sign-in and sign-out win every race).
 * - A session that would grow past the store's size limit is refused with `SessionTooLargeError`.
 * - Failures to reach the backend throw `SessionStoreUnavailableError`.
 * Stores that cannot keep a rule (Workers KV) say so in the README's guarantee table.
 */
export interface SessionStore {
  /** Returns the session stored under `id`, or null when it is unknown or expired. */
  read(id: string): Promise<StoredSession | null>;
  /** Runs `plan` as one atomic operation. */
  commit(plan: CommitPlan): Promise<CommitResult>;
  /** Releases connections, timers and file handles. */
  close(): Promise<void>;
  /**
   * True when the store places a session by its id's tag (Redis Cluster): a regenerated id then keeps
   * the tag, so the old and the new key share a shard. Elsewhere every id is wholly fresh, so nothing in
   * an id links a browser's session before and after a sign-in or sign-out.
   */
  readonly placesByIdTag?: boolean;
}

/** Encodes a lifetime for a store's text or number column: "" default, "browser", or seconds. */
export function lifetimeToText(lifetime: Lifetime | null): string {
  return lifetime === null ? "" : String(lifetime);
}

/** The inverse of `lifetimeToText`; anything unrecognised reads as the default. */
export function lifetimeFromText(text: string | null | undefined): Lifetime | null {
  if (text === "browser") return "browser";
  if (!text) return null;
  const seconds = Number(text);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : null;
}
