import { applyChanges, type SessionChanges, type SessionRecord } from "../core/changes";
import { SessionStoreUnavailableError, SessionTooLargeError } from "../core/errors";
import type { SessionStore, StoredSession } from "../core/store";

/** The part of a Workers KV namespace binding (`KVNamespace`) this store uses. */
export interface KVNamespaceLike {
  get(key: string, type: "text"): Promise<string | null>;
  put(key: string, value: string, options?: { expirationTtl?: number }): Promise<void>;
  delete(key: string): Promise<void>;
}

export interface WorkersKVSessionStoreOptions {
  /** The KV namespace binding (`env.SESSION_KV`). */
  kv: KVNamespaceLike;
  /** Prepended to every session id to make its KV key, so one namespace can hold other data too. */
  prefix?: string;
  /** Largest session accepted, in bytes of its JSON; 0 turns the check off. */
  maxSessionBytes?: number;
  /** How often a write refused for KV's one-write-per-second-per-key limit (429) is tried again. */
  rateLimitRetries?: number;
  /** Wait before the first such retry, in milliseconds; it doubles for each further one. */
  retryDelay?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** KV refuses expirations closer than this, in seconds. */
export const KV_MIN_TTL_SECONDS = 60;

/** A session as it sits in KV: the data, and the expiry this store enforces itself. */
interface Entry {
  data: SessionRecord;
  /** Unix milliseconds. */
  expires: number;
}

/** What a write makes of the entry it finds: a new entry, or KEEP to leave it as it is. */
type Mutation = (current: Entry | null) => Entry | typeof KEEP;
const KEEP = Symbol("keep");

/**
 * Sessions in a Workers KV namespace, one JSON value per session.
 *
 * NOT merge-safe. KV has no atomic update and is eventually consistent, so this store cannot keep the
 * promise of `SessionStore.apply`: a commit is get, apply the changes, put. Two requests of one
 * session that commit at the same time can both read the same value, and the last put wins for the
 * whole session; a read may also see a value up to about 60 seconds old when the last write was made
 * elsewhere. (Workers cannot even queue commits within one isolate: a request must not wait on
 * another request's I/O.)
 *
 * KV accepts one write per key per second; a write refused for that (429) is retried after a pause,
 * reading the value again first. KV's expiration cannot be under 60 seconds, so the expiry is also
 * kept in the value and checked on every read.
 */
export class WorkersKVSessionStore implements SessionStore {
  #kv: KVNamespaceLike;
  #prefix: string;
  #maxBytes: number;
  #retries: number;
  #retryDelay: number;
  #now: () => number;

  constructor(options: WorkersKVSessionStoreOptions) {
    this.#kv = options.kv;
    this.#prefix = options.prefix ?? "session:";
    this.#maxBytes = options.maxSessionBytes ?? 64 * 1024;
    this.#retries = options.rateLimitRetries ?? 2;
    this.#retryDelay = options.retryDelay ?? 1_000;
    this.#now = options.now ?? Date.now;
  }

  async read(id: string): Promise<StoredSession | null> {
    const entry = this.#live(await this.#get(id));
    return entry ? { data: entry.data, expires: new Date(entry.expires) } : null;
  }

  /** Get, apply, put: NOT atomic (see the class comment). */
  apply(id: string, changes: SessionChanges, expires: Date): Promise<void> {
    return this.#update(id, (current) => {
      const data = applyChanges(this.#live(current)?.data ?? {}, changes);
      if (this.#maxBytes > 0) {
        const bytes = new TextEncoder().encode(JSON.stringify(data)).byteLength;
        if (bytes > this.#maxBytes) throw new SessionTooLargeError("The session", bytes, this.#maxBytes);
      }
      return { data, expires: expires.getTime() };
    });
  }

  async rename(fromId: string, toId: string, expires: Date): Promise<void> {
    const stored = await this.read(fromId);
    if (!stored) return;
    // The new key first: a request still using the old id finds its data until the old key goes.
    await this.#update(toId, () => ({ data: stored.data, expires: expires.getTime() }));
    await this.destroy(fromId);
  }

  touch(id: string, expires: Date): Promise<void> {
    // KV cannot change an expiration alone: the value is written again.
    return this.#update(id, (current) => {
      const entry = this.#live(current);
      return entry ? { data: entry.data, expires: expires.getTime() } : KEEP;
    });
  }

  destroy(id: string): Promise<void> {
    return this.#call("delete", () => this.#kv.delete(this.#prefix + id));
  }

  async close(): Promise<void> {}

  /** Reads the value, lets `mutate` make the next one and puts it; again from the read after a 429. */
  async #update(id: string, mutate: Mutation): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const next = mutate(await this.#get(id));
      if (next === KEEP) return;
      try {
        return await this.#put(id, next);
      } catch (error) {
        if (!isRateLimited(error) || attempt >= this.#retries) throw error;
        await sleep(this.#retryDelay * 2 ** attempt + Math.random() * 250);
      }
    }
  }

  #live(entry: Entry | null): Entry | null {
    return entry && entry.expires > this.#now() ? entry : null;
  }

  async #get(id: string): Promise<Entry | null> {
    const json = await this.#call("get", () => this.#kv.get(this.#prefix + id, "text"));
    return json === null ? null : parseEntry(json);
  }

  #put(id: string, entry: Entry): Promise<void> {
    const seconds = Math.ceil((entry.expires - this.#now()) / 1000);
    const expirationTtl = Math.max(KV_MIN_TTL_SECONDS, seconds);
    return this.#call("put", () => this.#kv.put(this.#prefix + id, JSON.stringify(entry), { expirationTtl }));
  }

  // Whatever KV throws (network, limits, outage) means "try again later" to the client: a 503.
  async #call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw new SessionStoreUnavailableError(`Workers KV session store: ${operation} failed: ${String(error)}`, {
        cause: error,
      });
    }
  }
}

/** A value this store did not write (or a damaged one) reads as no session. */
function parseEntry(json: string): Entry | null {
  try {
    const value: unknown = JSON.parse(json);
    if (typeof value !== "object" || value === null) return null;
    const { data, expires } = value as Partial<Entry>;
    if (typeof expires !== "number" || typeof data !== "object" || data === null || Array.isArray(data)) return null;
    return { data, expires };
  } catch {
    return null;
  }
}

/** KV's answer to a second write of one key within a second: "KV PUT failed: 429 Too Many Requests". */
function isRateLimited(error: unknown): boolean {
  const cause = error instanceof SessionStoreUnavailableError ? error.cause : error;
  return /\b429\b/.test(String(cause));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
