import { createClient, defineScript, ErrorReply, type CommandParser, type RedisClientType } from "redis";

import { SessionStoreUnavailableError, SessionTooLargeError } from "../core/errors";
import { maskUrlCredentials } from "../core/mask-url";
import { DEFAULT_MAX_SESSION_BYTES } from "../core/size-limit";
import {
  lifetimeFromText,
  lifetimeToText,
  type CommitPlan,
  type CommitResult,
  type SessionStore,
  type StoredSession,
} from "../core/store";

export interface RedisSessionStoreOptions {
  /** `redis[s]://[[user][:password]@]host[:port][/db]`. */
  url: string;
  /** Prepended to every session id to make its Redis key. */
  prefix?: string;
  /** Largest session accepted, in UTF-8 bytes of its JSON (as every store counts it); 0: no limit. */
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
 * Marks a session hash as existing even when it holds no keys (Redis deletes empty hashes), and holds
 * the session's lifetime ("L" then "", "browser" or seconds). The byte 0xFF never occurs in UTF-8, so
 * no session key, which node-redis sends as UTF-8, can collide with it.
 */
const MARKER = "\\255";
const LIFETIME_PREFIX = "L";

/**
 * One commit, whole. KEYS[1] the hash the request read (or the target when it read none), KEYS[2] the
 * hash the session ends up in (or KEYS[1] when nothing is kept). ARGV[1] the plan as JSON: read and
 * target flags, destroy, unset keys, consumed and set maps of field to JSON text, expiry (Unix ms,
 * as text), lifetime marker, byte limit (0: none). The steps are nextSessionData's in
 * session/core/commit-plan.ts: refuse when the read session is gone, merge onto what is held now,
 * measure, then write, so a refused commit writes nothing.
 * Replies {1, size} when committed, {0, 0} when the read session is gone, {2, size} when too large.
 */
const COMMIT_SCRIPT = `
local plan = cjson.decode(ARGV[1])
local marker = "${MARKER}"
local readKey, targetKey = KEYS[1], KEYS[2]

local data = {}
if plan.read then
  if redis.call('EXISTS', readKey) == 0 then
    if not plan.destroy then return {0, 0} end
  elseif not plan.destroy then
    local all = redis.call('HGETALL', readKey)
    for i = 1, #all, 2 do
      if all[i] ~= marker then data[all[i]] = all[i + 1] end
    end
  end
end

for _, field in ipairs(plan.unset) do data[field] = nil end
-- Both sides are JSON.stringify output, so equal strings mean equal values.
for field, json in pairs(plan.consumed) do
  if data[field] == json then data[field] = nil end
end
for field, json in pairs(plan.set) do data[field] = json end

-- Length of JSON.stringify(s) for a field name: quotes plus the escapes JSON.stringify writes.
local function jsonStringLength(s)
  local _, quoted = string.gsub(s, '["\\\\]', '')
  local _, short = string.gsub(s, '[\\8\\9\\10\\12\\13]', '')
  local _, control = string.gsub(s, '[%z\\1-\\31]', '')
  return #s + 2 + quoted + short + 5 * (control - short)
end

local size, count = 2, 0
local pairsToWrite = {}
for field, json in pairs(data) do
  size = size + jsonStringLength(field) + 1 + #json
  count = count + 1
  pairsToWrite[#pairsToWrite + 1] = field
  pairsToWrite[#pairsToWrite + 1] = json
end
if count > 1 then size = size + count - 1 end
if plan.target and plan.maxBytes > 0 and size > plan.maxBytes then return {2, size} end

if plan.read and (plan.destroy or readKey ~= targetKey) then redis.call('DEL', readKey) end
if plan.target then
  redis.call('DEL', targetKey)
  -- In slices: unpack has a limit on how many values it spreads.
  for i = 1, #pairsToWrite, 1000 do
    redis.call('HSET', targetKey, unpack(pairsToWrite, i, math.min(i + 999, #pairsToWrite)))
  end
  redis.call('HSET', targetKey, marker, plan.lifetime)
  redis.call('PEXPIREAT', targetKey, plan.expires)
end
return {1, size}
`;

/** KEYS[1] the session hash. Replies nil when missing, else {pttl, lifetime marker, key, json, key, json, ...}. */
const READ_SCRIPT = `
local pttl = redis.call('PTTL', KEYS[1])
if pttl == -2 then return false end
local all = redis.call('HGETALL', KEYS[1])
local reply = {pttl, ""}
for i = 1, #all, 2 do
  if all[i] == "${MARKER}" then
    reply[2] = all[i + 1]
  else
    reply[#reply + 1] = all[i]
    reply[#reply + 1] = all[i + 1]
  end
end
return reply
`;

const SCRIPTS = {
  commitSession: defineScript({
    NUMBER_OF_KEYS: 2,
    SCRIPT: COMMIT_SCRIPT,
    parseCommand(parser: CommandParser, readKey: string, targetKey: string, plan: string) {
      parser.pushKey(readKey);
      parser.pushKey(targetKey);
      parser.push(plan);
    },
    transformReply: (reply: unknown) => reply as [number, number],
  }),
  readSession: defineScript({
    NUMBER_OF_KEYS: 1,
    SCRIPT: READ_SCRIPT,
    parseCommand(parser: CommandParser, key: string) {
      parser.pushKey(key);
    },
    transformReply: (reply: unknown) => reply as [number, string, ...string[]] | null,
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
    this.#where = maskUrlCredentials(options.url);
    this.#prefix = options.prefix ?? "session:";
    this.#maxBytes = options.maxSessionBytes ?? DEFAULT_MAX_SESSION_BYTES;
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
    const [pttl, marker, ...fields] = reply as [number, string, ...string[]];
    const data: Record<string, unknown> = {};
    for (let i = 0; i < fields.length; i += 2) data[fields[i]] = JSON.parse(fields[i + 1]);
    // A hash without a TTL was not written by this store; report it as due, so the next commit sets one.
    const expires = new Date(Date.now() + Math.max(0, pttl));
    const lifetime = marker.startsWith(LIFETIME_PREFIX) ? lifetimeFromText(marker.slice(LIFETIME_PREFIX.length)) : null;
    return { data, expires, lifetime };
  }

  async commit(plan: CommitPlan): Promise<CommitResult> {
    // Keys travel as UTF-8, as node-redis always sent them: a lone surrogate becomes U+FFFD, which the
    // script's JSON decoder accepts (it refuses the escape JSON.stringify writes for it).
    const consumed: Record<string, string> = {};
    const set: Record<string, string> = {};
    const unset = plan.changes.unset.map(wellFormed);
    for (const [key, value] of Object.entries(plan.changes.consumed)) {
      const json = JSON.stringify(value);
      // A stored value is never undefined, so such a consume can never match.
      if (json !== undefined) consumed[wellFormed(key)] = json;
    }
    for (const [key, value] of Object.entries(plan.changes.set)) {
      const json = JSON.stringify(value);
      // JSON drops keys whose value is undefined; the other stores end up without the key too.
      if (json === undefined) unset.push(wellFormed(key));
      else set[wellFormed(key)] = json;
    }
    const readKey = plan.readId === null ? null : this.keyOf(plan.readId);
    const targetKey = plan.id === null ? null : this.keyOf(plan.id);
    const args = JSON.stringify({
      read: readKey !== null,
      target: targetKey !== null,
      destroy: plan.destroy,
      // An empty JSON array and object decode alike in Lua; the script only iterates them.
      unset,
      consumed,
      set,
      expires: String(plan.expires.getTime()),
      lifetime: LIFETIME_PREFIX + lifetimeToText(plan.lifetime),
      maxBytes: this.#maxBytes,
    });
    const keys = [readKey ?? targetKey!, targetKey ?? readKey!] as const;
    const [outcome, size] = await this.#guard((client) => client.commitSession(keys[0], keys[1], args), {
      writes: true,
    });
    if (outcome === 0) return "gone";
    if (outcome === 2) throw new SessionTooLargeError("The session", size, this.#maxBytes);
    return "committed";
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
  async #guard<T>(operation: (client: Client) => Promise<T>, options: { writes?: boolean } = {}): Promise<T> {
    const client = this.#client;
    try {
      return await withDeadline(operation(client), this.#commandTimeout);
    } catch (error) {
      if (error === DEADLINE) {
        this.#redial(client);
        // A command sent but unanswered may still run: a commit's outcome is then unknown.
        throw new SessionStoreUnavailableError(
          `Redis at ${this.#where} did not answer within ${this.#commandTimeout} ms`,
          { outcomeUnknown: options.writes === true },
        );
      }
      if (error instanceof ErrorReply && !TRANSIENT_REPLY.test(error.message)) throw error;
      throw new SessionStoreUnavailableError(`Redis session store failed: ${describe(error)}`, { cause: error });
    }
  }
}

const DEADLINE = Symbol("deadline");

/** `key` with each lone surrogate replaced by U+FFFD, as a UTF-8 encoder writes it. */
function wellFormed(key: string): string {
  return key.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
}

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

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // Connection failures arrive wrapped (ReconnectStrategyError) or as AggregateError (IPv4 + IPv6).
  const inner = (error as { originalError?: unknown }).originalError;
  if (inner instanceof Error) return describe(inner);
  if (error instanceof AggregateError && error.errors.length > 0) return describe(error.errors[0]);
  const code = (error as { code?: string }).code;
  return error.message || code || error.name;
}
