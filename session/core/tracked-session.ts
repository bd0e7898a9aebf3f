import type { FlashSessionData, Session, SessionData } from "@remix-run/server-runtime";

import { emptyChanges, hasChanges, type SessionChanges, type SessionRecord } from "./changes";
import type { Lifetime } from "./store";

/** Called when code changes a session whose response has already been committed. */
export type LateChangeListener = (key: string) => void;

interface TrackedSessionOptions {
  /** The id the store knows this session by, or null for a session the store has never seen. */
  storedId: string | null;
  /** Makes a fresh id; the cookie store, which keeps no ids, passes one that returns "". */
  createId: () => string;
  /** True when the cookie verified with an older secret and should be re-signed with the current one. */
  stale?: boolean;
  /** The lifetime the session was stored with; null for the storage's default. */
  lifetime?: Lifetime | null;
  /** When the stored session stops opening (Unix ms), as the store reported it; absent for a new one. */
  expires?: number;
}

/** What `get(key)` returns, as Remix's `Session` types it. */
type SessionValue<Data, FlashData, Key> =
  | (Key extends keyof Data ? Data[Key] : undefined)
  | (Key extends keyof FlashData ? FlashData[Key] : undefined)
  | undefined;

const flashKey = (name: string) => `__flash_${name}__`;
const isFlashKey = (key: string) => key.startsWith("__flash_") && key.endsWith("__");

/** The flash entries among a session's values. */
function flashesOf(values: Map<string, unknown>): Map<string, unknown> {
  // A loop rather than a filtered copy: this runs on every request, and most sessions hold no flash.
  const flashes = new Map<string, unknown>();
  for (const [key, value] of values) if (isFlashKey(key)) flashes.set(key, value);
  return flashes;
}

/**
 * What a request did to its session, kept for the storage that saves it: the values, the changes since
 * the last save, and where the session stands (read, destroyed, regenerated, saved, sealed). Routes
 * never see it: `context.session` is the `TrackedSession` in front of it, and a storage reaches it
 * through `trackingOf`.
 */
export class SessionTracking {
  /** The id the session has now: "" until it is first saved; it changes on regenerate and destroy. */
  id: string;
  /** The id the store knew this session by when the request began (or at the last save); null if new. */
  storedId: string | null;
  /** The data as the request sees it, flash keys included. */
  readonly values: Map<string, unknown>;
  /** The changes made since the last save, applied by the store onto what it holds then. */
  changes: SessionChanges = emptyChanges();
  /** The lifetime chosen with `setLifetime` or stored with the session; null for the storage's default. */
  lifetime: Lifetime | null;
  /** True once `destroy()` asked for the stored data to be deleted. */
  destroyed = false;
  /** True once `regenerateId()` moved a stored session to a new id. */
  regenerated = false;
  /** True once `setLifetime` chose a lifetime that is not saved yet. */
  lifetimeChanged = false;
  /** True when the cookie was signed with an older secret and must be re-signed. */
  stale: boolean;
  /** When the stored session stops opening (Unix ms), as read or last saved; undefined until the store holds it. */
  expires: number | undefined;
  /** True once a hand-written `commitSession`/`destroySession` saved this session. */
  savedByHand = false;
  /** True when a commit found the session signed out or moved by another request, and saved nothing. */
  interrupted = false;

  /** Flash keys and values as the store held them when this request read the session (or last saved it). */
  #storedFlashes: Map<string, unknown>;
  readonly #createId: () => string;
  #sealed = false;
  #onLateChange: LateChangeListener | undefined;

  constructor(id: string, data: SessionRecord, options: TrackedSessionOptions) {
    this.id = id;
    this.storedId = options.storedId;
    this.values = new Map(Object.entries(data));
    this.#storedFlashes = flashesOf(this.values);
    this.#createId = options.createId;
    this.stale = options.stale ?? false;
    this.lifetime = options.lifetime ?? null;
    this.expires = options.expires;
  }

  /** True when committing would change anything: data, id, lifetime or existence. */
  get modified(): boolean {
    return this.destroyed || this.regenerated || this.lifetimeChanged || hasChanges(this.changes);
  }

  /** Records a save: the store now knows the session as `storedId` (null: not at all); later changes start afresh. */
  markSaved(storedId: string | null, options: { byHand?: boolean } = {}): void {
    if (options.byHand) this.savedByHand = true;
    if (storedId !== null) this.id = storedId;
    this.storedId = storedId;
    this.#storedFlashes = flashesOf(this.values);
    this.changes = emptyChanges();
    this.destroyed = false;
    this.regenerated = false;
    this.lifetimeChanged = false;
    this.stale = false;
  }

  /** Marks the session as committed: later changes cannot be saved and are reported to `onLateChange`. */
  seal(onLateChange?: LateChangeListener): void {
    this.#sealed = true;
    this.#onLateChange = onLateChange;
  }

  /** Reads the flash under `key`, which consumes it; undefined when there is none. */
  takeFlash(key: string): unknown {
    if (!this.values.has(key)) return undefined;
    const value = this.values.get(key);
    this.values.delete(key);
    this.#noteChange(key);
    delete this.changes.set[key];
    // Whatever this read shows (the stored flash, or one this request set over it), the flash the
    // store held is done with: remove that value, unless another request has put a new one since.
    if (this.#storedFlashes.has(key)) this.changes.consumed[key] = this.#storedFlashes.get(key);
    return value;
  }

  /** Writes `value` under `key`. */
  write(key: string, value: unknown): void {
    this.#noteChange(key);
    this.values.set(key, value);
    this.changes.set[key] = value;
    this.changes.unset = this.changes.unset.filter((k) => k !== key);
    delete this.changes.consumed[key];
  }

  /** Removes `key`. */
  remove(key: string): void {
    this.#noteChange(key);
    this.values.delete(key);
    delete this.changes.set[key];
    if (!this.changes.unset.includes(key)) this.changes.unset.push(key);
  }

  /** Empties the session and asks for what the store holds to be deleted. */
  destroy(): void {
    this.#noteChange("(destroy)");
    this.destroyed = this.storedId !== null;
    this.regenerated = false;
    this.values.clear();
    this.#storedFlashes.clear();
    this.changes = emptyChanges();
    this.lifetime = null;
    this.lifetimeChanged = false;
    this.id = "";
  }

  /** Chooses how long the session lives from now on. */
  setLifetime(lifetime: Lifetime): void {
    this.#noteChange("(setLifetime)");
    this.lifetime = lifetime;
    this.lifetimeChanged = true;
  }

  /** Moves a stored session to a fresh id, keeping its data. */
  regenerateId(): void {
    this.#noteChange("(regenerateId)");
    // A session the store never held has no id to leave behind: it gets a fresh one when first saved.
    if (this.storedId === null || this.destroyed) return;
    this.id = this.#createId();
    this.regenerated = true;
  }

  #noteChange(key: string): void {
    if (this.#sealed) this.#onLateChange?.(key);
  }
}

// Set by TrackedSession's static block, the one place that can read its private field: the storages
// that import this module reach the tracking, a route never does.
let trackingIn: (session: object) => SessionTracking | undefined;

/** The storage's record of what the request did to `session`, a `TrackedSession`. */
export function trackingOf(session: object): SessionTracking {
  const tracking = trackingIn(session);
  if (!tracking) throw new TypeError("Not a session this stack made: only a TrackedSession has a tracking record");
  return tracking;
}

/**
 * A Remix `Session` that records what the request does to it (keys set, keys removed, flashes set
 * and consumed), so the commit writes only those changes and never the whole snapshot. Its surface is
 * what a route calls; the record itself is the storage's (`trackingOf`).
 */
export class TrackedSession<Data = SessionData, FlashData = Data> implements Session<Data, FlashData> {
  readonly #tracking: SessionTracking;

  static {
    trackingIn = (session) =>
      Object(session) === session && #tracking in session ? (session as TrackedSession).#tracking : undefined;
  }

  constructor(id: string, data: SessionRecord, options: TrackedSessionOptions) {
    this.#tracking = new SessionTracking(id, data, options);
  }

  /** The session's id: "" until it is first saved, as in Remix; it changes on `regenerateId()` and `destroy()`. */
  get id(): string {
    return this.#tracking.id;
  }

  /** A copy of the raw data, flash keys included, without consuming any flash. */
  get data(): FlashSessionData<Data, FlashData> {
    return Object.fromEntries(this.#tracking.values) as FlashSessionData<Data, FlashData>;
  }

  /** Whether the session holds a value or an unread flash under `name`. */
  has(name: (keyof Data | keyof FlashData) & string): boolean {
    return this.#tracking.values.has(name) || this.#tracking.values.has(flashKey(name));
  }

  /** The value under `name`; reading a flash consumes it, which counts as a change. */
  get<Key extends (keyof Data | keyof FlashData) & string>(name: Key): SessionValue<Data, FlashData, Key> {
    type Value = SessionValue<Data, FlashData, Key>;
    if (this.#tracking.values.has(name)) return this.#tracking.values.get(name) as Value;
    return this.#tracking.takeFlash(flashKey(name)) as Value;
  }

  /** Stores `value` under `name`; `undefined` removes the key, as JSON cannot hold it. */
  set<Key extends keyof Data & string>(name: Key, value: Data[Key]): void {
    if (value === undefined) return this.unset(name);
    this.#tracking.write(name, value);
  }

  /** Stores `value` under `name` until the next `get(name)`. */
  flash<Key extends keyof FlashData & string>(name: Key, value: FlashData[Key]): void {
    this.#tracking.write(flashKey(name), value);
  }

  /** Removes `name`. */
  unset(name: keyof Data & string): void {
    this.#tracking.remove(name);
  }

  /** Ends the session (sign out): its stored data is deleted and a fresh, empty session takes its place. */
  destroy(): void {
    this.#tracking.destroy();
  }

  /**
   * How long the session lives from now on: seconds (the cookie's `Max-Age` and the store's expiry), or
   * "browser" for a cookie the browser drops when it closes (kept on the server for the storage's
   * shorter browser-session lifetime). Rolling expiry keeps the choice. "Keep me signed in" is this.
   */
  setLifetime(lifetime: Lifetime): void {
    if (lifetime !== "browser" && !(Number.isFinite(lifetime) && lifetime >= 0)) {
      throw new RangeError(`setLifetime expects a number of seconds (0 or more) or "browser"; got ${String(lifetime)}`);
    }
    this.#tracking.setLifetime(lifetime === "browser" ? lifetime : Math.floor(lifetime));
  }

  /** Moves the session to a fresh id, keeping its data (sign in, against session fixation). */
  regenerateId(): void {
    this.#tracking.regenerateId();
  }
}
