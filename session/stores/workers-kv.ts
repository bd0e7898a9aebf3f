import type { SessionRecord } from "../core/changes";
import { GONE, nextSessionData } from "../core/commit-plan";
import { SessionStoreUnavailableError } from "../core/errors";
import { enforceSizeLimit, sessionSizeLimit } from "../core/size-limit";
import type { CommitPlan, CommitResult, Lifetime, SessionStore, StoredSession } from "../core/store";

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
  /** Largest session accepted, in UTF-8 bytes of its JSON; 0: no limit. */
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
interface LiveEntry {
  data: SessionRecord;
  /** Unix milliseconds. */
  expires: number;
  lifetime: Lifetime | null;
}

/** What a signed-out or regenerated id leaves behind until it would have expired: no put may revive it. */
interface Tombstone {
  ended: true;
  /** Unix milliseconds. */
  expires: number;
}

type Entry = LiveEntry | Tombstone;

/** What a write makes of the entry it finds: a new entry, or a result to return without writing. */
type Mutation = (current: Entry | null) => Entry | CommitResult;

/**
 * Sessions in a Workers KV namespace, one JSON value per session.
 *
 * NOT merge-safe. KV has no atomic update and is eventually consistent, so this store cannot keep the
 * promise of `SessionStore.commit`: a commit is get, merge, put. Two requests of one session that
 * commit at the same time can both read the same value, and the last put wins for the whole session;
 * a read may also see a value up to about 60 seconds old when the last write was made elsewhere.
 * (Workers cannot even queue commits within one isolate: a request must not wait on another
 * request's I/O.)
 *
 * Sign-out and sign-in leave a tombstone under a key of its own (`<id>:ended`) until the old session
 * would have expired, and delete the session's key. Every read and every commit gets both keys (in
 * parallel): a request that read the session before it ended finds the tombstone and is refused
 * ("gone"). No put ever touches the tombstone's key, so even a commit that slipped through (its get ran
 * before the tombstone's put, or was served a stale value in another location) writes a value that no
 * read opens once the tombstone is visible there: at most about 60 s in that location, never after.
 * The response to such a commit never carries the new id. Reads cost two KV gets.
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
    this.#maxBytes = sessionSizeLimit(options.maxSessionBytes);
    this.#retries = options.rateLimitRetries ?? 2;
    this.#retryDelay = options.retryDelay ?? 1_000;
    this.#now = options.now ?? Date.now;
  }

  async read(id: string): Promise<StoredSession | null> {
    const entry = this.#live(await this.#get(id));
    return entry ? { data: entry.data, expires: new Date(entry.expires), lifetime: entry.lifetime } : null;
  }

  /** Get, merge, put per key: NOT atomic (see the class comment). */
  async commit(plan: CommitPlan): Promise<CommitResult> {
    const { readId, id } = plan;
    // Sign-out: the tombstone goes first, so a racing commit finds it as early as possible.
    if (plan.destroy && readId !== null) await this.#end(readId);
    if (id === null) return "committed";

    let moved: SessionRecord | null = null;
    if (readId !== null && readId !== id && !plan.destroy) {
      // Sign-in: the data moves to a key nobody else knows yet, then the old key is ended.
      const current = this.#live(await this.#get(readId));
      if (!current) return "gone";
      moved = current.data;
    }
    const result = await this.#update(id, (entry) => {
      const current = moved ?? (readId === id ? (this.#live(entry)?.data ?? null) : null);
      const next = nextSessionData(plan, current);
      if (next === GONE) return "gone";
      if (next === null) return "committed";
      enforceSizeLimit(JSON.stringify(next), this.#maxBytes);
      return { data: next, expires: plan.expires.getTime(), lifetime: plan.lifetime };
    });
    if (result === "committed" && moved !== null) await this.#end(readId!);
    return result;
  }

  async close(): Promise<void> {}

  /** Leaves a tombstone for `id` until the session it held would have expired, then drops its data. */
  async #end(id: string): Promise<void> {
    await this.#update(id, (entry) => {
      const expires = Math.max(entry?.expires ?? 0, this.#now() + KV_MIN_TTL_SECONDS * 1000);
      return { ended: true, expires };
    });
    await this.#call("delete", () => this.#kv.delete(this.#prefix + id));
  }

  /** Reads the value, lets `mutate` make the next one and puts it; again from the read after a 429. */
  async #update(id: string, mutate: Mutation): Promise<CommitResult> {
    for (let attempt = 0; ; attempt++) {
      const next = mutate(await this.#get(id));
      if (typeof next === "string") return next;
      try {
        await this.#put(id, next);
        return "committed";
      } catch (error) {
        if (!isRateLimited(error) || attempt >= this.#retries) throw error;
        await sleep(this.#retryDelay * 2 ** attempt + Math.random() * 250);
      }
    }
  }

  #live(entry: Entry | null): LiveEntry | null {
    return entry && !("ended" in entry) && entry.expires > this.#now() ? entry : null;
  }

  /** The tombstone for `id` when there is one, else its session entry. */
  async #get(id: string): Promise<Entry | null> {
    const [json, ended] = await Promise.all([
      this.#call("get", () => this.#kv.get(this.#prefix + id, "text")),
      this.#call("get", () => this.#kv.get(this.#endedKey(id), "text")),
    ]);
    if (ended !== null) return { ended: true, expires: parseTombstone(ended) };
    return json === null ? null : parseEntry(json);
  }

  #put(id: string, entry: Entry): Promise<void> {
    const seconds = Math.ceil((entry.expires - this.#now()) / 1000);
    const expirationTtl = Math.max(KV_MIN_TTL_SECONDS, seconds);
    const key = "ended" in entry ? this.#endedKey(id) : this.#prefix + id;
    return this.#call("put", () => this.#kv.put(key, JSON.stringify(entry), { expirationTtl }));
  }

  // Ids are base64url, so no session id can end in ":ended".
  #endedKey(id: string): string {
    return `${this.#prefix}${id}:ended`;
  }

  // Whatever KV throws (network, limits, outage) means "try again later" to the client: a 503.
  async #call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw new SessionStoreUnavailableError(`Workers KV session store: ${operation} failed: ${String(error)}`, {
        cause: error,
        outcomeUnknown: operation === "put",
      });
    }
  }
}

/** A value this store did not write (or a damaged one) reads as no session. */
function parseEntry(json: string): Entry | null {
  try {
    const value: unknown = JSON.parse(json);
    if (typeof value !== "object" || value === null) return null;
    const { data, expires, lifetime = null } = value as Partial<LiveEntry>;
    if (typeof expires !== "number") return null;
    if (typeof data !== "object" || data === null || Array.isArray(data)) return null;
    const validLifetime = lifetime === "browser" || (typeof lifetime === "number" && lifetime >= 0) ? lifetime : null;
    return { data, expires, lifetime: validLifetime };
  } catch {
    return null;
  }
}

/** A tombstone's expiry; any tombstone, even a damaged one, ends the session. */
function parseTombstone(json: string): number {
  try {
    const { expires } = JSON.parse(json) as Partial<Tombstone>;
    return typeof expires === "number" ? expires : Number.MAX_SAFE_INTEGER;
  } catch {
    return Number.MAX_SAFE_INTEGER;
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
