import { createClient, defineScript, ErrorReply, type CommandParser, type RedisClientType } from "redis";

import type { SessionChanges } from "../core/changes";
import { SessionStoreUnavailableError, SessionTooLargeError } from "../core/errors";
import type { SessionStore, StoredSession } from "../core/store";

export interface RedisSessionStoreOptions {
  /** `redis[s]://[[user][:password]@]host[:port][/db]`. */
  url: string;
  /** Prepended to every session id to make its Redis key. */
  prefix?: string;
  /** Largest session accepted, in bytes of its JSON (as SQLite counts it); 0 turns the check off. */
  maxSessionBytes?: number;
  /**
   * How long one command may take, in milliseconds. Past it the request gets a 503 and the
   * connection is dropped and dialled again (it cannot be trusted to answer any more).
   */
  commandTimeout?: number;
  /** How long `connect` keeps trying before it gives up, in milliseconds. */
  startupTimeout?: number;
  /** Where connection losses and recoveries are reported; one line per change of state. */
  log?: (message: string) => void;
}

/**
 * Marks a session hash as existing even when it holds no keys (Redis deletes empty hashes). The byte
 * 0xFF never occurs in UTF-8, so no session key, which node-redis sends as UTF-8, can collide with it.
 */
const MARKER = "\\255";

/**
 * KEYS[1] the session hash. ARGV: expiry (Unix ms), byte limit (0: none), the counts of unset keys,
 * consumed flashes and set keys, then the unset keys, the consumed key/JSON pairs and the set
 * key/JSON pairs. The same steps, in the same order, as applyChanges in session/core/changes.ts.
 * Replies {1, size} when applied, {0, size} when refused as too large (nothing written then).
 */
const APPLY_SCRIPT = `
local key = KEYS[1]
local marker = "${MARKER}"
local maxBytes = tonumber(ARGV[2])
local unsetFrom = 6
local consumedFrom = unsetFrom + tonumber(ARGV[3])
local setFrom = consumedFrom + 2 * tonumber(ARGV[4])
local setTo = setFrom + 2 * tonumber(ARGV[5]) - 1

-- Length of JSON.stringify(s) for a key: quotes plus the escapes JSON.stringify writes.
local function jsonStringLength(s)
  local _, quoted = string.gsub(s, '["\\\\]', '')
  local _, short = string.gsub(s, '[\\8\\9\\10\\12\\13]', '')
  local _, control = string.gsub(s, '[%z\\1-\\31]', '')
  return #s + 2 + quoted + short + 5 * (control - short)
end

local size = 0
if maxBytes > 0 then
  -- Land the changes on a copy first: a refused change must leave the hash untouched.
  local data = {}
  local all = redis.call('HGETALL', key)
  for i = 1, #all, 2 do
    if all[i] ~= marker then data[all[i]] = all[i + 1] end
  end
  for i = unsetFrom, consumedFrom - 1 do data[ARGV[i]] = nil end
  for i = consumedFrom, setFrom - 1, 2 do
    if data[ARGV[i]] == ARGV[i + 1] then data[ARGV[i]] = nil end
  end
  for i = setFrom, setTo, 2 do data[ARGV[i]] = ARGV[i + 1] end
  local count = 0
  size = 2
  for field, value in pairs(data) do
    size = size + jsonStringLength(field) + 1 + #value
    count = count + 1
  end
  if count > 1 then size = size + count - 1 end
  if size > maxBytes then return {0, size} end
end

for i = unsetFrom, consumedFrom - 1 do redis.call('HDEL', key, ARGV[i]) end
for i = consumedFrom, setFrom - 1, 2 do
  -- Both sides are JSON.stringify output, so equal strings mean equal values.
  if redis.call('HGET', key, ARGV[i]) == ARGV[i + 1] then redis.call('HDEL', key, ARGV[i]) end
end
for i = setFrom, setTo, 2 do redis.call('HSET', key, ARGV[i], ARGV[i + 1]) end
redis.call('HSET', key, marker, '1')
redis.call('PEXPIREAT', key, ARGV[1])
return {1, size}
`;

/** KEYS[1] the session hash. Replies nil when missing, else {pttl, key, json, key, json, ...}. */
const READ_SCRIPT = `
local pttl = redis.call('PTTL', KEYS[1])
if pttl == -2 then return false end
local all = redis.call('HGETALL', KEYS[1])
local reply = {pttl}
for i = 1, #all, 2 do
  if all[i] ~= "${MARKER}" then
    reply[#reply + 1] = all[i]
    reply[#reply + 1] = all[i + 1]
  end
end
return reply
`;

/** KEYS[1] from, KEYS[2] to, ARGV[1] expiry (Unix ms). A missing source is a no-op. */
const RENAME_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('PEXPIREAT', KEYS[2], ARGV[1])
return 1
`;

const SCRIPTS = {
  applySession: defineScript({
    NUMBER_OF_KEYS: 1,
    SCRIPT: APPLY_SCRIPT,
    parseCommand(parser: CommandParser, key: string, args: string[]) {
      parser.pushKey(key);
      parser.push(...args);
    },
    transformReply: (reply: unknown) => reply as [number, number],
  }),
  readSession: defineScript({
    NUMBER_OF_KEYS: 1,
    SCRIPT: READ_SCRIPT,
    parseCommand(parser: CommandParser, key: string) {
      parser.pushKey(key);
    },
    transformReply: (reply: unknown) => reply as [number, ...string[]] | null,
  }),
  renameSession: defineScript({
    NUMBER_OF_KEYS: 2,
    SCRIPT: RENAME_SCRIPT,
    parseCommand(parser: CommandParser, from: string, to: string, expiresAt: string) {
      parser.pushKey(from);
      parser.pushKey(to);
      parser.push(expiresAt);
    },
    transformReply: (reply: unknown) => reply as number,
  }),
};

// `{}` is how redis spells "no modules, no functions" in its own defaults.
// eslint-disable-next-line @typescript-eslint/ban-types
type Client = RedisClientType<{}, {}, typeof SCRIPTS>;

// Error replies that mean "Redis cannot serve this now" rather than "this command is wrong".
const TRANSIENT_REPLY = /^(LOADING|BUSY|READONLY|OOM|MASTERDOWN|TRYAGAIN|NOREPLICAS|CLUSTERDOWN|MISCONF)\b/;

/**
 * Sessions in Redis, one hash per session (field = session key, value = its JSON), shared by any
 * number of app instances. Every write is one Lua script, so Redis runs it whole with no other
 * client's command in between: concurrent commits merge instead of overwriting each other.
 */
export class RedisSessionStore implements SessionStore {
  #url: string;
  #where: string;
  #prefix: string;
  #maxBytes: number;
  #commandTimeout: number;
  #log: (message: string) => void;
  #client: Client;
  #closed = false;
  #connected = false;
  #down = false;

  private constructor(options: RedisSessionStoreOptions) {
    this.#url = options.url;
    this.#where = redactUrl(options.url);
    this.#prefix = options.prefix ?? "session:";
    this.#maxBytes = options.maxSessionBytes ?? 64 * 1024;
    this.#commandTimeout = options.commandTimeout ?? 2000;
    this.#log = options.log ?? console.error;
    this.#client = this.#createClient();
  }

  /**
   * Connects to Redis and returns the store; rejects with `SessionStoreUnavailableError` when Redis
   * does not answer within `startupTimeout`. Once connected, the store reconnects by itself forever.
   */
  static async connect(options: RedisSessionStoreOptions): Promise<RedisSessionStore> {
    const startupTimeout = options.startupTimeout ?? 5000;
    const store = new RedisSessionStore(options);
    const client = store.#client;
    // Remember why the attempts failed: the reason goes into the message.
    let lastError: unknown = "no answer";
    const onError = (error: unknown) => (lastError = error);
    client.on("error", onError);
    const connected = await withDeadline(client.connect(), startupTimeout).catch((error: unknown) => {
      if (error !== DEADLINE) lastError = error;
      return false as const;
    });
    client.off("error", onError);
    if (connected === false) {
      store.#closed = true;
      if (client.isOpen) client.destroy();
      throw new SessionStoreUnavailableError(
        `Cannot connect to Redis at ${store.#where} within ${startupTimeout} ms: ${describe(lastError)}`,
        { cause: lastError },
      );
    }
    store.#connected = true;
    return store;
  }

  /** The Redis key of a session id. */
  keyOf(id: string): string {
    return this.#prefix + id;
  }

  async read(id: string): Promise<StoredSession | null> {
    const reply = await this.#guard((client) => client.readSession(this.keyOf(id)));
    if (!reply) return null;
    const [pttl, ...fields] = reply as [number, ...string[]];
    const data: Record<string, unknown> = {};
    for (let i = 0; i < fields.length; i += 2) data[fields[i]] = JSON.parse(fields[i + 1]);
    // A hash without a TTL was not written by this store; report it as due, so the next touch sets one.
    const expires = new Date(Date.now() + Math.max(0, pttl));
    return { data, expires };
  }

  async apply(id: string, changes: SessionChanges, expires: Date): Promise<void> {
    const unset = [...changes.unset];
    const consumed: string[] = [];
    const set: string[] = [];
    for (const [key, value] of Object.entries(changes.consumed)) {
      const json = JSON.stringify(value);
      // A stored value is never undefined, so such a consume can never match.
      if (json !== undefined) consumed.push(key, json);
    }
    for (const [key, value] of Object.entries(changes.set)) {
      const json = JSON.stringify(value);
      // JSON drops keys whose value is undefined; the other stores end up without the key too.
      if (json === undefined) unset.push(key);
      else set.push(key, json);
    }
    const args = [
      String(expires.getTime()),
      String(this.#maxBytes),
      String(unset.length),
      String(consumed.length / 2),
      String(set.length / 2),
      ...unset,
      ...consumed,
      ...set,
    ];
    const [applied, size] = await this.#guard((client) => client.applySession(this.keyOf(id), args));
    if (!applied) throw new SessionTooLargeError("The session", size, this.#maxBytes);
  }

  async rename(fromId: string, toId: string, expires: Date): Promise<void> {
    await this.#guard((client) =>
      client.renameSession(this.keyOf(fromId), this.keyOf(toId), String(expires.getTime())),
    );
  }

  async touch(id: string, expires: Date): Promise<void> {
    await this.#guard((client) => client.pExpireAt(this.keyOf(id), expires.getTime()));
  }

  async destroy(id: string): Promise<void> {
    await this.#guard((client) => client.del(this.keyOf(id)));
  }

  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    if (!client.isOpen) return;
    // close() waits for replies still owed; a Redis that stopped answering must not hold shutdown.
    const closed = await withDeadline(client.close(), this.#commandTimeout).catch(() => false);
    if (closed === false && client.isOpen) client.destroy();
  }

  #createClient(): Client {
    const client: Client = createClient({
      url: this.#url,
      scripts: SCRIPTS,
      // While Redis is away, fail at once (the request gets a 503) instead of queueing blind.
      disableOfflineQueue: true,
      socket: {
        connectTimeout: this.#commandTimeout,
        // Backoff with jitter, so instances that lost Redis together do not reconnect in lockstep.
        reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 2000) + Math.floor(Math.random() * 100),
      },
    });
    // Without a listener an 'error' event would crash the process. One line per outage, not per retry.
    client.on("error", (error: Error) => this.#reportDown(describe(error)));
    client.on("ready", () => {
      if (this.#down) this.#log(`[session] Redis at ${this.#where} is reachable again`);
      this.#down = false;
    });
    return client;
  }

  #reportDown(reason: string): void {
    if (!this.#connected || this.#down || this.#closed) return;
    this.#down = true;
    this.#log(`[session] Redis at ${this.#where} is unreachable (${reason}); reconnecting, requests get 503 meanwhile`);
  }

  /**
   * Drops a connection on which a command went unanswered (Redis hung, or the network lost it
   * without a reset) and dials again: node-redis would otherwise wait on it for as long as TCP does.
   */
  #redial(stale: Client): void {
    if (this.#closed || stale !== this.#client) return;
    this.#reportDown(`no answer within ${this.#commandTimeout} ms`);
    this.#client = this.#createClient();
    this.#client.connect().catch(() => {
      // Only close() ends the reconnect loop; nothing to report then.
    });
    if (stale.isOpen) stale.destroy();
  }

  // Anything that says "Redis is not there or not answering" becomes a 503; other errors are bugs.
  async #guard<T>(operation: (client: Client) => Promise<T>): Promise<T> {
    const client = this.#client;
    try {
      return await withDeadline(operation(client), this.#commandTimeout);
    } catch (error) {
      if (error === DEADLINE) {
        this.#redial(client);
        throw new SessionStoreUnavailableError(
          `Redis at ${this.#where} did not answer within ${this.#commandTimeout} ms`,
        );
      }
      if (error instanceof ErrorReply && !TRANSIENT_REPLY.test(error.message)) throw error;
      throw new SessionStoreUnavailableError(`Redis session store failed: ${describe(error)}`, { cause: error });
    }
  }
}

const DEADLINE = Symbol("deadline");

/** `promise`, or a rejection with DEADLINE after `ms`. The promise itself keeps running. */
async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(DEADLINE), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The URL without its password, fit for logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(an invalid URL)";
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // Connection failures arrive wrapped (ReconnectStrategyError) or as AggregateError (IPv4 + IPv6).
  const inner = (error as { originalError?: unknown }).originalError;
  if (inner instanceof Error) return describe(inner);
  if (error instanceof AggregateError && error.errors.length > 0) return describe(error.errors[0]);
  const code = (error as { code?: string }).code;
  return error.message || code || error.name;
}
