/**
 * The in-process microbenchmark (`npm run bench -- --micro`): CPU µs per session operation, measured
 * with `process.cpuUsage()` over many iterations, for each store, beside Remix's own handler for the
 * same route. Time spent waiting on Redis is not CPU and is not counted; Redis's own CPU is not either.
 */
import fs from "node:fs";
import path from "node:path";

import { createRequestHandler, installGlobals, type AppLoadContext, type ServerBuild } from "@remix-run/node";

import type { SessionData, SessionFlashData } from "../app/session";
import { labContextOf, loadConfig } from "../server/config";
import { createSessionStorage } from "../server/sessions";
import { createAutoCommit, type WithSession } from "../session/core";

import { BENCH_SECRET, COOKIE_NAME } from "./constants";
import { spread, type Spread } from "./stats";

/** The stores the microbenchmark runs, as SESSION_STORE names them. */
export const MICRO_STORES = ["memory", "sqlite", "redis", "cookie"] as const;
export type MicroStore = (typeof MICRO_STORES)[number];

/** One operation's cost. */
export interface MicroOperation {
  /** Stable id: `<store>-<operation>`, or the reference's name. */
  id: string;
  /** The store, or null for a reference that reads no session. */
  store: MicroStore | null;
  /** What one iteration does, as the table prints it. */
  label: string;
  /** CPU µs per iteration: median and min–max over the rounds. */
  micros: Spread;
}

/** A store that could not run, and why. */
export interface MicroSkip {
  store: MicroStore;
  reason: string;
}

/** What the microbenchmark measured. */
export interface MicroResults {
  iterations: number;
  rounds: number;
  operations: MicroOperation[];
  skipped: MicroSkip[];
}

export interface MicroSettings {
  /** Iterations per measurement; each operation is measured `rounds` times. */
  iterations: number;
  rounds: number;
  /** Keys in the session read and written, as in the throughput rows. */
  sessionKeys: number;
  /** A folder for the SQLite file. */
  dataDir: string;
  /** Redis for the Redis store; without it that store is skipped. */
  redisUrl?: string;
  build: ServerBuild;
  log: (line: string) => void;
}

const URL_PING = "http://127.0.0.1/lab/ping";

/** One timed thing: called `iterations` times in a row, awaited one by one. */
interface Timed {
  id: string;
  store: MicroStore | null;
  label: string;
  run: (iteration: number) => Promise<unknown>;
}

/**
 * For each store: `getSession` of a session holding `sessionKeys` keys; `withSession` around a
 * handler that changes nothing (a read, unchanged: getSession, nothing to save, the response passed
 * on); and around a handler that sets one key (a one-key write). References: the same handler alone,
 * and Remix's handler for GET /lab/ping. Every iteration builds its own Request, as an adapter does.
 */
export async function measureMicro(settings: MicroSettings): Promise<MicroResults> {
  installGlobals({ nativeFetch: true });
  fs.mkdirSync(settings.dataDir, { recursive: true });
  const timed: Timed[] = [];
  const skipped: MicroSkip[] = [];
  const closers: Array<() => Promise<void>> = [];

  const trivial = async () => new Response("ok");
  timed.push({
    id: "handler-alone",
    store: null,
    label: "a handler that returns a Response, no session (subtracted from the session rows)",
    run: () => {
      void new Request(URL_PING, { headers: { cookie: "" } });
      return trivial();
    },
  });
  const config = benchConfig("memory", settings);
  const handleRemix = createRequestHandler(settings.build, "production");
  const remixContext = { lab: labContextOf(config) } as AppLoadContext;
  timed.push({
    id: "remix-ping",
    store: null,
    label: "Remix's handler (`createRequestHandler`), GET /lab/ping, no session",
    run: async () => {
      const response = await handleRemix(new Request(URL_PING), remixContext);
      await response.arrayBuffer();
    },
  });

  try {
    for (const store of MICRO_STORES) {
      if (store === "redis" && !settings.redisUrl) {
        skipped.push({ store, reason: "no redis-server on PATH and no REDIS_URL" });
        continue;
      }
      const operations = await openStoreOperations(store, settings);
      closers.push(operations.close);
      timed.push(
        {
          id: `${store}-get-session`,
          store,
          label: "`getSession` (verify the cookie, read the session)",
          run: operations.getSession,
        },
        {
          id: `${store}-unchanged`,
          store,
          label: "`withSession` around the handler: a read, nothing changed",
          run: operations.unchanged,
        },
        {
          id: `${store}-write`,
          store,
          label: "`withSession` around a handler that sets one key",
          run: operations.write,
        },
      );
    }

    const samples = new Map<string, number[]>(timed.map((each) => [each.id, []]));
    for (let round = 1; round <= settings.rounds; round++) {
      for (const each of timed) {
        const micros = await cpuMicrosPerCall(each.run, settings.iterations);
        samples.get(each.id)!.push(micros);
        settings.log(`micro round ${round}/${settings.rounds}  ${each.id.padEnd(22)} ${micros.toFixed(1)} µs`);
      }
    }
    const operations = timed.map(({ id, store, label }) => ({ id, store, label, micros: spread(samples.get(id)!) }));
    return { iterations: settings.iterations, rounds: settings.rounds, operations, skipped };
  } finally {
    for (const close of closers) await close();
  }
}

/** The session operations the microbenchmark times, on one store, and how to release it. */
export interface StoreOperations {
  getSession: (iteration: number) => Promise<unknown>;
  unchanged: (iteration: number) => Promise<unknown>;
  write: (iteration: number) => Promise<unknown>;
  close: () => Promise<void>;
}

/** Opens `store` as the stack's server does, makes a session of `sessionKeys` keys, and returns its operations. */
export async function openStoreOperations(
  store: MicroStore,
  settings: Pick<MicroSettings, "dataDir" | "redisUrl" | "sessionKeys">,
): Promise<StoreOperations> {
  fs.mkdirSync(path.join(settings.dataDir, store), { recursive: true });
  const storage = await createSessionStorage(benchConfig(store, settings));
  const withSession = createAutoCommit({ storage });
  const cookie = await seedSession(withSession, settings.sessionKeys);
  const request = () => new Request(URL_PING, { headers: { cookie } });
  const nothing = async () => new Response("ok");
  return {
    getSession: () => storage.getSession(cookie),
    unchanged: () => withSession(request(), nothing),
    write: (iteration) =>
      withSession(request(), async ({ session }) => {
        session.set(`mark:b${iteration % settings.sessionKeys}`, `v${iteration}`);
        return new Response("ok");
      }),
    close: () => storage.close(),
  };
}

/** CPU µs per call of `run` over `iterations` calls, after a tenth as many untimed. */
export async function cpuMicrosPerCall(
  run: (iteration: number) => Promise<unknown>,
  iterations: number,
): Promise<number> {
  const warmup = Math.max(1, Math.floor(iterations / 10));
  for (let index = 0; index < warmup; index++) await run(index);
  const before = process.cpuUsage();
  for (let index = 0; index < iterations; index++) await run(index);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / iterations;
}

/** The stack's settings for `store`, as the bench's servers use them. */
function benchConfig(store: MicroStore, settings: Pick<MicroSettings, "dataDir" | "redisUrl">) {
  return loadConfig(
    {
      NODE_ENV: "production",
      SESSION_SECRET: BENCH_SECRET,
      SESSION_COOKIE_NAME: COOKIE_NAME,
      SESSION_STORE: store,
      DATA_DIR: path.join(settings.dataDir, store),
      REDIS_URL: settings.redisUrl,
      SESSION_REDIS_PREFIX: "bench-micro:",
      LAB_ROUTES: "on",
    },
    () => {},
  );
}

/** Makes a session holding `keys` keys and returns the `Cookie` header that names it. */
async function seedSession(withSession: WithSession<SessionData, SessionFlashData>, keys: number): Promise<string> {
  const response = await withSession(new Request(URL_PING), async ({ session }) => {
    for (let index = 0; index < keys; index++) session.set(`mark:b${index}`, new Date().toISOString());
    return new Response("ok");
  });
  const setCookie = response.headers.getSetCookie().find((header) => header.startsWith(`${COOKIE_NAME}=`));
  if (!setCookie) throw new Error("the first write set no session cookie");
  return setCookie.split(";")[0];
}
