import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";
import { promisify } from "node:util";

import { Log, LogLevel, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

import { BENCH_SECRET, COOKIE_NAME } from "./constants";

/** A Worker in workerd: this stack's (server.worker.ts) on one of its stores, or Remix's plain handler. */
export type WorkerSpec =
  | { kind: "worker"; store: "durable-object" | "kv" | "cookie" }
  /** `createRequestHandler` from `@remix-run/cloudflare` alone (bench/bare-worker.ts), no session. */
  | { kind: "bare-worker" };

/** The Worker builds the bench runs, each in a folder of its own: server.worker.ts's, and the bare Worker's. */
const BUILDS = {
  worker: { dir: "bench/.build/worker", args: [] as string[] },
  "bare-worker": { dir: "bench/.build/bare-worker", args: ["--server=bench/bare-worker.ts"] },
} as const;

/**
 * Builds both Workers from the current sources, at the same time, into bench/.build/ (the project's
 * own build folders stay as they are). Rejects with the build's output when one fails.
 */
export async function buildWorkers(log: (line: string) => void): Promise<void> {
  await Promise.all(
    Object.entries(BUILDS).map(async ([name, build]) => {
      try {
        await promisify(execFile)(process.execPath, [
          "scripts/build-cloudflare.mjs",
          "--target=workers",
          `--out=${build.dir}`,
          ...build.args,
        ]);
      } catch (error) {
        const { stdout, stderr } = error as { stdout?: string; stderr?: string };
        throw new Error(`the ${name} build failed:\n${stdout ?? ""}${stderr ?? ""}`.trim());
      }
      log(`built ${build.dir}/`);
    }),
  );
}

/** A Worker served by workerd on loopback, and how to stop it. */
export interface WorkerApp {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves a built Worker from workerd through Miniflare, with the settings wrangler.jsonc gives
 * (compatibility date, static assets before the Worker, the SessionObject Durable Objects on
 * SQLite storage), in production mode with the lab routes on. Durable Object data lives in `dataDir`.
 */
export async function startWorkerApp(spec: WorkerSpec, dataDir: string): Promise<WorkerApp> {
  const main = path.resolve(BUILDS[spec.kind].dir, "index.js");
  if (!fs.existsSync(main)) throw new Error(`No ${main}: the bench builds it before starting Workers.`);
  const { workerOptions } = unstable_getMiniflareWorkerOptions("wrangler.jsonc", undefined, {
    overrides: { assets: { directory: path.resolve(BUILDS[spec.kind].dir, "assets") } },
  } as Parameters<typeof unstable_getMiniflareWorkerOptions>[2]);
  const sessions =
    spec.kind === "worker"
      ? {
          bindings: {
            SESSION_STORE: spec.store,
            SESSION_SECRET: BENCH_SECRET,
            SESSION_COOKIE_NAME: COOKIE_NAME,
            LAB_ROUTES: "on",
          },
          kvNamespaces: spec.store === "kv" ? ["SESSION_KV"] : [],
        }
      : // The bare Worker exports no SessionObject, so it binds none.
        { durableObjects: {} };

  const miniflare = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    // No download of Cloudflare's request.cf data: a fixed placeholder, offline.
    cf: false,
    // On disk, as Cloudflare keeps them, not in memory.
    durableObjectsPersist: path.join(dataDir, "durable-objects"),
    kvPersist: path.join(dataDir, "kv"),
    workers: [
      {
        ...workerOptions,
        name: spec.kind,
        modulesRoot: path.dirname(main),
        modules: [{ type: "ESModule", path: main }],
        ...sessions,
      },
    ],
    log: new Log(LogLevel.WARN),
    handleRuntimeStdio(stdout: Readable, stderr: Readable) {
      stdout.resume();
      stderr.pipe(process.stderr);
    },
  } as ConstructorParameters<typeof Miniflare>[0]);
  const url = (await miniflare.ready).origin;
  return { url, close: () => miniflare.dispose() };
}
