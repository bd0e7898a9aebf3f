import { defineScript, type CommandParser, type RedisClientType } from "redis";

import { SessionTooLargeError } from "../core/errors";
import { ID_TAG_LENGTH } from "../core/id";
import { sessionSizeLimit } from "../core/size-limit";
import {
  lifetimeFromText,
  lifetimeToText,
  type CommitPlan,
  type CommitResult,
  type SessionStore,
  type StoredSession,
} from "../core/store";

import { RedisConnection, type RedisConnectionOptions } from "./redis-connection";

export interface RedisSessionStoreOptions extends RedisConnectionOptions {
  /** Prepended to every session's key; on a cluster it may not hold `{` or `}`, which would take over the key's hash tag. */
  prefix?: string;
  /** Largest session accepted, in UTF-8 bytes of its JSON, as `enforceSizeLimit` counts it; 0: no limit. */
  maxSessionBytes?: number;
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
 * as text), lifetime marker, byte limit as sessionSizeLimit gives it (0: none, as enforceSizeLimit
 * reads it). The steps are nextSessionData's in session/core/commit-plan.ts: refuse when the read
 * session is gone, merge onto what is held now, measure, then write, so a refused commit writes nothing.
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
type SessionScripts = Pick<RedisClientType<{}, {}, typeof SCRIPTS>, keyof typeof SCRIPTS>;

/**
 * Sessions in Redis or Redis Cluster, one hash per session (field = session key, value = its JSON),
 * shared by any number of app instances. Every commit is one Lua script, so Redis runs it whole with
 * no other client's command in between: concurrent commits merge instead of overwriting each other.
 * On a cluster, a session's key carries its id's tag as the hash tag, so the two keys of a regenerate
 * share a slot.
 */
export class RedisSessionStore implements SessionStore {
  #connection: RedisConnection<SessionScripts>;
  #prefix: string;
  #maxBytes: number;
  #hashTagged: boolean;

  private constructor(
    connection: RedisConnection<SessionScripts>,
    prefix: string,
    maxBytes: number,
    hashTagged: boolean,
  ) {
    this.#connection = connection;
    this.#prefix = prefix;
    this.#maxBytes = maxBytes;
    this.#hashTagged = hashTagged;
  }

  /**
   * Connects to Redis and returns the store; rejects with `SessionStoreUnavailableError` when Redis
   * does not answer within `connectTimeout`. Once connected, the store reconnects by itself forever.
   */
  static async connect(options: RedisSessionStoreOptions): Promise<RedisSessionStore> {
    const prefix = options.prefix ?? "session:";
    const hashTagged = options.cluster === true;
    if (hashTagged && /[{}]/.test(prefix)) {
      throw new TypeError(
        `A Redis key prefix may not hold "{" or "}" (got "${prefix}"): the store sets each key's hash tag`,
      );
    }
    const maxBytes = sessionSizeLimit(options.maxSessionBytes);
    const connection = await RedisConnection.open<SessionScripts>(options, SCRIPTS);
    return new RedisSessionStore(connection, prefix, maxBytes, hashTagged);
  }

  /** On a cluster, sessions are placed by their id's tag, which a regenerate keeps. */
  get placesByIdTag(): boolean {
    return this.#hashTagged;
  }

  /**
   * The Redis key of a session id. On a cluster it is `<prefix>{<tag>}<rest of the id>`: Redis Cluster
   * places a key by the text in braces, and a regenerated id keeps its tag, so the old and new key share
   * a slot. A single Redis keeps the plain `<prefix><id>`, so sessions stored before clusters were
   * supported stay where they are.
   */
  keyOf(id: string): string {
    if (!this.#hashTagged) return this.#prefix + id;
    return `${this.#prefix}{${id.slice(0, ID_TAG_LENGTH)}}${id.slice(ID_TAG_LENGTH)}`;
  }

  async read(id: string): Promise<StoredSession | null> {
    const reply = await this.#connection.run((client) => client.readSession(this.keyOf(id)));
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
    const readKey = plan.readId === null ? null : this.keyOf(plan.readId);
    const targetKey = plan.id === null ? null : this.keyOf(plan.id);
    const args = JSON.stringify({
      read: readKey !== null,
      target: targetKey !== null,
      destroy: plan.destroy,
      ...changeSetAsJson(plan.changes),
      expires: String(plan.expires.getTime()),
      lifetime: LIFETIME_PREFIX + lifetimeToText(plan.lifetime),
      maxBytes: this.#maxBytes,
    });
    const keys = [readKey ?? targetKey!, targetKey ?? readKey!] as const;
    const [outcome, size] = await this.#connection.run((client) => client.commitSession(keys[0], keys[1], args), {
      writes: true,
    });
    if (outcome === 0) return "gone";
    if (outcome === 2) throw new SessionTooLargeError("The session", size, this.#maxBytes);
    return "committed";
  }

  async close(): Promise<void> {
    await this.#connection.close();
  }
}

/**
 * A change set as the commit script reads it: each value as its JSON text, so the script compares
 * and stores strings only. Keys travel as UTF-8, as node-redis always sent them: a lone surrogate
 * becomes U+FFFD, which the script's JSON decoder accepts (it refuses the escape JSON.stringify writes).
 */
function changeSetAsJson(changes: CommitPlan["changes"]) {
  const consumed: Record<string, string> = {};
  const set: Record<string, string> = {};
  const unset = changes.unset.map(wellFormed);
  for (const [key, value] of Object.entries(changes.consumed)) {
    const json = JSON.stringify(value);
    // A stored value is never undefined, so such a consume can never match.
    if (json !== undefined) consumed[wellFormed(key)] = json;
  }
  for (const [key, value] of Object.entries(changes.set)) {
    const json = JSON.stringify(value);
    // JSON drops keys whose value is undefined; the other stores end up without the key too.
    if (json === undefined) unset.push(wellFormed(key));
    else set[wellFormed(key)] = json;
  }
  // An empty JSON array and object decode alike in Lua; the script only iterates them.
  return { unset, consumed, set };
}

/** `key` with each lone surrogate replaced by U+FFFD, as a UTF-8 encoder writes it. */
function wellFormed(key: string): string {
  return key.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
}
