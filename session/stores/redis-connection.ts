import { createClient, createCluster, ErrorReply, type RedisClientOptions, type RedisScripts } from "redis";

import { SessionStoreUnavailableError } from "../core/errors";
import { maskUrlCredentials } from "../core/mask-url";

export interface RedisConnectionOptions {
  /**
   * `redis[s]://[[user][:password]@]host[:port][/db]`. With `cluster`, one or more nodes of the
   * cluster to learn its layout from; the first URL's user, password and TLS apply to every node.
   */
  url: string | readonly string[];
  /** Speak the Redis Cluster protocol: route each command to the node that holds its key's slot. */
  cluster?: boolean;
  /**
   * How long one command may take, in milliseconds. Past it the request gets a 503 and the
   * connection is dropped and dialled again (it cannot be trusted to answer any more).
   */
  commandTimeout?: number;
  /** How long `open` keeps trying to reach Redis before it gives up, in milliseconds. */
  connectTimeout?: number;
  /** Where connection losses and recoveries are reported; one line per change of state. */
  log?: (message: string) => void;
}

/** The default `commandTimeout`: generous for a Redis on the same network, short for a person waiting. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 2000;
/** The default `connectTimeout`. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/** What the connection itself calls on a client; standalone and cluster clients both have it. */
interface ClientLife {
  readonly isOpen: boolean;
  connect(): Promise<unknown>;
  close(): Promise<void>;
  destroy(): void;
  on(event: string, listener: (error: Error) => void): unknown;
  off(event: string, listener: (error: Error) => void): unknown;
}

/** A standalone or cluster client, seen through the commands its user runs (`C`, such as its scripts). */
export type ScriptClient<C> = C & ClientLife;

// Error replies that mean "Redis cannot serve this now" rather than "this command is wrong".
const TRANSIENT_REPLY = /^(LOADING|BUSY|READONLY|OOM|MASTERDOWN|TRYAGAIN|NOREPLICAS|CLUSTERDOWN|MISCONF)\b/;

/**
 * One connection to Redis (a standalone server or a cluster) for the whole life of a store: it
 * connects, reconnects by itself forever, puts a deadline on every command, logs one line per outage
 * and per recovery, and turns "Redis is not there or not answering" into
 * `SessionStoreUnavailableError`. What the commands mean is the caller's business.
 */
export class RedisConnection<C> {
  #urls: readonly string[];
  #cluster: boolean;
  #scripts: RedisScripts;
  #where: string;
  #commandTimeout: number;
  #log: (message: string) => void;
  #client: ScriptClient<C>;
  #closed = false;
  #connected = false;
  #down = false;

  private constructor(options: RedisConnectionOptions, scripts: RedisScripts) {
    this.#urls = typeof options.url === "string" ? [options.url] : options.url;
    if (this.#urls.length === 0) throw new TypeError("RedisConnection needs at least one URL");
    if (this.#urls.length > 1 && !options.cluster) {
      throw new TypeError("Several Redis URLs name the nodes of a cluster: pass `cluster: true`");
    }
    this.#cluster = options.cluster === true;
    this.#scripts = scripts;
    this.#where = `${this.#cluster ? "Redis Cluster" : "Redis"} at ${this.#urls.map(maskUrlCredentials).join(", ")}`;
    this.#commandTimeout = options.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.#log = options.log ?? console.error;
    this.#client = this.#createClient();
  }

  /**
   * Connects and returns the connection; rejects with `SessionStoreUnavailableError` when Redis does
   * not answer within `connectTimeout`. Once connected, it reconnects by itself until `close`.
   */
  static async open<C>(options: RedisConnectionOptions, scripts: RedisScripts): Promise<RedisConnection<C>> {
    const connectTimeout = options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const connection = new RedisConnection<C>(options, scripts);
    const client = connection.#client;
    // Remember why the attempts failed: the reason goes into the message.
    let lastError: unknown = "no answer";
    const onError = (error: unknown) => (lastError = error);
    client.on("error", onError);
    client.on("node-error", onError);
    const connected = await withDeadline(connection.#dial(client), connectTimeout).catch((error: unknown) => {
      if (error !== DEADLINE) lastError = error;
      return false as const;
    });
    client.off("error", onError);
    client.off("node-error", onError);
    if (connected === false) {
      connection.#closed = true;
      client.destroy();
      throw new SessionStoreUnavailableError(
        `Cannot connect to ${connection.#where} within ${connectTimeout} ms: ${describe(lastError)}`,
        { cause: lastError },
      );
    }
    connection.#connected = true;
    return connection;
  }

  /**
   * Runs `operation` on the client within the command deadline. Anything that says Redis is away,
   * frozen or cannot serve now becomes `SessionStoreUnavailableError` (a 503); other errors are bugs.
   * `writes`: a missed deadline then leaves the outcome unknown, and the error says so.
   */
  async run<T>(operation: (client: ScriptClient<C>) => Promise<T>, options: { writes?: boolean } = {}): Promise<T> {
    const client = this.#client;
    try {
      const result = await withDeadline(operation(client), this.#commandTimeout);
      this.#reportUp();
      return result;
    } catch (error) {
      if (error === DEADLINE) {
        this.#redial(client);
        // A command sent but unanswered may still run: a commit's outcome is then unknown.
        throw new SessionStoreUnavailableError(`${this.#where} did not answer within ${this.#commandTimeout} ms`, {
          outcomeUnknown: options.writes === true,
        });
      }
      if (error instanceof ErrorReply && !TRANSIENT_REPLY.test(error.message)) throw error;
      this.#reportDown(describe(error));
      throw new SessionStoreUnavailableError(`Redis session store failed: ${describe(error)}`, { cause: error });
    }
  }

  /** Closes the connection; replies still owed get at most the command deadline. */
  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    if (!client.isOpen) return;
    // close() waits for replies still owed; a Redis that stopped answering must not hold shutdown.
    const closed = await withDeadline(client.close(), this.#commandTimeout).catch(() => false);
    if (closed === false && client.isOpen) client.destroy();
  }

  #createClient(): ScriptClient<C> {
    const socket = {
      connectTimeout: this.#commandTimeout,
      // Backoff with jitter, so instances that lost Redis together do not reconnect in lockstep.
      reconnectStrategy: (retries: number) => backoff(retries),
    };
    // While Redis is away, fail at once (the request gets a 503) instead of queueing blind.
    const client = this.#cluster
      ? createCluster({
          rootNodes: this.#urls.map((url) => ({ url })),
          // Nodes the cluster names are dialled by address only: credentials and TLS come from here.
          defaults: {
            ...credentialsOf(this.#urls[0]),
            disableOfflineQueue: true,
            socket: { ...socket, ...tlsOf(this.#urls[0]) },
          },
          scripts: this.#scripts,
        })
      : createClient({ url: this.#urls[0], scripts: this.#scripts, disableOfflineQueue: true, socket });
    // The scripts passed in are what make `C`'s methods exist; the types of the two clients are too
    // large for TypeScript to join, so the link is stated here, once.
    const typed = client as unknown as ScriptClient<C>;
    // Without a listener an 'error' event would crash the process. One line per outage, not per retry.
    typed.on("error", (error) => this.#reportDown(describe(error)));
    typed.on("node-error", (error) => this.#reportDown(describe(error)));
    return typed;
  }

  /**
   * Connects `client`, and keeps trying until it is connected or replaced. A standalone client
   * retries by itself; a cluster client gives up when no node answers, so it is dialled again here.
   */
  async #dial(client: ScriptClient<C>): Promise<true> {
    for (let attempt = 0; ; attempt++) {
      try {
        await client.connect();
        return true;
      } catch (error) {
        if (!this.#cluster) throw error;
        await new Promise((resolve) => setTimeout(resolve, backoff(attempt)));
        if (this.#closed || client !== this.#client) throw error;
      }
    }
  }

  #reportDown(reason: string): void {
    if (!this.#connected || this.#down || this.#closed) return;
    this.#down = true;
    this.#log(`[session] ${this.#where} is unreachable (${reason}); reconnecting, requests get 503 meanwhile`);
  }

  #reportUp(): void {
    if (!this.#down) return;
    this.#down = false;
    this.#log(`[session] ${this.#where} is reachable again`);
  }

  /**
   * Drops a connection on which a command went unanswered (Redis hung, or the network lost it
   * without a reset) and dials again: node-redis would otherwise wait on it for as long as TCP does.
   */
  #redial(stale: ScriptClient<C>): void {
    if (this.#closed || stale !== this.#client) return;
    this.#reportDown(`no answer within ${this.#commandTimeout} ms`);
    this.#client = this.#createClient();
    this.#dial(this.#client).catch(() => {
      // Only close() or the next redial ends the reconnect loop; nothing to report then.
    });
    stale.destroy();
  }
}

const DEADLINE = Symbol("deadline");

/** Milliseconds before reconnect attempt `retries`: 50 ms doubling to 2 s, plus up to 100 ms of jitter. */
function backoff(retries: number): number {
  return Math.min(50 * 2 ** retries, 2000) + Math.floor(Math.random() * 100);
}

/** The user and password of a Redis URL, for the cluster nodes dialled by address. */
function credentialsOf(url: string): Pick<RedisClientOptions, "username" | "password"> {
  const { username, password } = new URL(url);
  return {
    ...(username ? { username: decodeURIComponent(username) } : {}),
    ...(password ? { password: decodeURIComponent(password) } : {}),
  };
}

/** TLS for every node when the URL says rediss://. */
function tlsOf(url: string): { tls?: true } {
  return new URL(url).protocol === "rediss:" ? { tls: true } : {};
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
