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
  return new Map([...values].filter(([key]) => isFlashKey(key)));
}

/**
 * A Remix `Session` that records what the request does to it (keys set, keys removed, flashes set
 * and consumed), so the commit writes only those changes and never the whole snapshot.
 */
export class TrackedSession<Data = SessionData, FlashData = Data> implements Session<Data, FlashData> {
  #id: string;
  #storedId: string | null;
  #values: Map<string, unknown>;
  /** Flash keys and values as the store held them when this request read the session (or last saved it). */
  #storedFlashes: Map<string, unknown>;
  #changes: SessionChanges = emptyChanges();
  #createId: () => string;
  #dropStored = false;
  #renamed = false;
  #stale: boolean;
  #lifetime: Lifetime | null;
  #lifetimeChanged = false;
  #savedByHand = false;
  #interrupted = false;
  #sealed = false;
  #onLateChange: LateChangeListener | undefined;

  constructor(id: string, data: SessionRecord, options: TrackedSessionOptions) {
    this.#id = id;
    this.#storedId = options.storedId;
    this.#values = new Map(Object.entries(data));
    this.#storedFlashes = flashesOf(this.#values);
    this.#createId = options.createId;
    this.#stale = options.stale ?? false;
    this.#lifetime = options.lifetime ?? null;
  }

  /** The session's id: "" until it is first saved, as in Remix; it changes on `regenerateId()` and `destroy()`. */
  get id(): string {
    return this.#id;
  }

  /** A copy of the raw data, flash keys included, without consuming any flash. */
  get data(): FlashSessionData<Data, FlashData> {
    return Object.fromEntries(this.#values) as FlashSessionData<Data, FlashData>;
  }

  /** Whether the session holds a value or an unread flash under `name`. */
  has(name: (keyof Data | keyof FlashData) & string): boolean {
    return this.#values.has(name) || this.#values.has(flashKey(name));
  }

  /** The value under `name`; reading a flash consumes it, which counts as a change. */
  get<Key extends (keyof Data | keyof FlashData) & string>(name: Key): SessionValue<Data, FlashData, Key> {
    type Value = SessionValue<Data, FlashData, Key>;
    if (this.#values.has(name)) return this.#values.get(name) as Value;
    const key = flashKey(name);
    if (!this.#values.has(key)) return undefined;
    const value = this.#values.get(key);
    this.#values.delete(key);
    this.#noteChange(key);
    delete this.#changes.set[key];
    // Whatever this read shows (the stored flash, or one this request set over it), the flash the
    // store held is done with: remove that value, unless another request has put a new one since.
    if (this.#storedFlashes.has(key)) this.#changes.consumed[key] = this.#storedFlashes.get(key);
    return value as Value;
  }

  /** Stores `value` under `name`; `undefined` removes the key, as JSON cannot hold it. */
  set<Key extends keyof Data & string>(name: Key, value: Data[Key]): void {
    if (value === undefined) return this.unset(name);
    this.#write(name, value);
  }

  /** Stores `value` under `name` until the next `get(name)`. */
  flash<Key extends keyof FlashData & string>(name: Key, value: FlashData[Key]): void {
    this.#write(flashKey(name), value);
  }

  /** Removes `name`. */
  unset(name: keyof Data & string): void {
    this.#noteChange(name);
    this.#values.delete(name);
    delete this.#changes.set[name];
    if (!this.#changes.unset.includes(name)) this.#changes.unset.push(name);
  }

  /** Ends the session (sign out): its stored data is deleted and a fresh, empty session takes its place. */
  destroy(): void {
    this.#noteChange("(destroy)");
    this.#dropStored = this.#storedId !== null;
    this.#renamed = false;
    this.#values.clear();
    this.#storedFlashes.clear();
    this.#changes = emptyChanges();
    this.#lifetime = null;
    this.#lifetimeChanged = false;
    this.#id = "";
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
    this.#noteChange("(setLifetime)");
    this.#lifetime = lifetime === "browser" ? lifetime : Math.floor(lifetime);
    this.#lifetimeChanged = true;
  }

  /** The lifetime chosen with `setLifetime` or stored with the session; null for the storage's default. */
  get lifetime(): Lifetime | null {
    return this.#lifetime;
  }

  /** Moves the session to a fresh id, keeping its data (sign in, against session fixation). */
  regenerateId(): void {
    this.#noteChange("(regenerateId)");
    // A session the store never held has no id to leave behind: it gets a fresh one when first saved.
    if (this.#storedId === null || this.#dropStored) return;
    this.#id = this.#createId();
    this.#renamed = true;
  }

  /** The id the store knew this session by when the request began, or null if it was new. */
  get storedId(): string | null {
    return this.#storedId;
  }

  /** True once `destroy()` asked for the stored data to be deleted. */
  get isDestroyed(): boolean {
    return this.#dropStored;
  }

  /** True once `regenerateId()` moved a stored session to a new id. */
  get isRegenerated(): boolean {
    return this.#renamed;
  }

  /** True when the cookie was signed with an older secret and must be re-signed. */
  get isStale(): boolean {
    return this.#stale;
  }

  /** True when committing would change anything: data, id, lifetime or existence. */
  get isModified(): boolean {
    return this.#dropStored || this.#renamed || this.#lifetimeChanged || hasChanges(this.#changes);
  }

  /** True once `setLifetime` chose a lifetime that is not saved yet. */
  get isLifetimeChanged(): boolean {
    return this.#lifetimeChanged;
  }

  /** True once a hand-written `commitSession`/`destroySession` saved this session. */
  get isSavedByHand(): boolean {
    return this.#savedByHand;
  }

  /** True when a commit found the session signed out or moved by another request, and saved nothing. */
  get isInterrupted(): boolean {
    return this.#interrupted;
  }

  /** Records that a commit of this session was refused because its stored session is gone. */
  markInterrupted(): void {
    this.#interrupted = true;
  }

  /** The changes made since the last save. */
  get changes(): SessionChanges {
    return this.#changes;
  }

  /** Records a save: the store now knows the session as `storedId` (null: not at all); later changes start afresh. */
  markSaved(storedId: string | null, options: { byHand?: boolean } = {}): void {
    if (options.byHand) this.#savedByHand = true;
    if (storedId !== null) this.#id = storedId;
    this.#storedId = storedId;
    this.#storedFlashes = flashesOf(this.#values);
    this.#changes = emptyChanges();
    this.#dropStored = false;
    this.#renamed = false;
    this.#lifetimeChanged = false;
    this.#stale = false;
  }

  /** Marks the session as committed: later changes cannot be saved and are reported to `onLateChange`. */
  seal(onLateChange?: LateChangeListener): void {
    this.#sealed = true;
    this.#onLateChange = onLateChange;
  }

  #write(key: string, value: unknown): void {
    this.#noteChange(key);
    this.#values.set(key, value);
    this.#changes.set[key] = value;
    this.#changes.unset = this.#changes.unset.filter((k) => k !== key);
    delete this.#changes.consumed[key];
  }

  #noteChange(key: string): void {
    if (this.#sealed) this.#onLateChange?.(key);
  }
}
