import fs from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";

import { Log, LogLevel, Miniflare, type MiniflareOptions } from "miniflare";

import { PAGES_BUILD, type CloudflareBuild } from "./cloudflare-build";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SESSION_WORKER = "session-worker";

/**
 * What Pages does around a Function, reduced to one route: it calls `onRequest` with an EventContext
 * whose request is a fresh copy (so the handler may change its headers) and whose env has ASSETS.
 */
const pagesEntry = (functionFile: string) => `
import { onRequest } from "./${path.basename(functionFile)}";
export default {
  fetch(request, env, ctx) {
    return onRequest({
      request: new Request(request),
      env,
      data: {},
      params: { path: new URL(request.url).pathname.split("/").filter(Boolean) },
      functionPath: "/[[path]]",
      waitUntil: (promise) => ctx.waitUntil(promise),
      passThroughOnException: () => ctx.passThroughOnException(),
      next: (input, init) => env.ASSETS.fetch(input ?? request, init),
    });
  },
};
`;

export interface PagesLocalOptions {
  /** Variables and secrets, as the Pages project's settings would give them. */
  bindings?: Record<string, string>;
  /** Bind an in-memory KV namespace as SESSION_KV. */
  kv?: boolean;
  /** The Pages build to serve; default the project's own (`npm run build:cloudflare`). */
  build?: CloudflareBuild;
  /**
   * Run this Worker build (`WORKERS_BUILD` is `npm run build:workers`'s) beside the Function and bind
   * its SessionObject Durable Objects as SESSION_DO, as `script_name` does for a deployed Pages project.
   */
  sessionObjects?: CloudflareBuild;
  /** Loopback port; 0 (the default) picks a free one. */
  port?: number;
  /** Show the Function's console output (off: tests provoke errors on purpose). */
  log?: boolean;
}

export interface PagesLocal {
  /** Base URL, `http://127.0.0.1:<port>`. */
  url: string;
  /** The Miniflare instance, for its KV namespace (`getKVNamespace("SESSION_KV")`). */
  miniflare: Miniflare;
  /** Restarts the Function with other bindings; KV data and the port stay. */
  setBindings(bindings: Record<string, string>): Promise<void>;
  /** Stops workerd. */
  close(): Promise<void>;
}

/**
 * Serves a built Pages project (by default functions/[[path]].js and public-cloudflare/) from workerd, the
 * runtime Cloudflare runs, through Miniflare, over HTTP on 127.0.0.1. Every request goes to the
 * Function first, which serves static files through `env.ASSETS` as on Pages without _routes.json.
 */
export async function startPagesLocal(options: PagesLocalOptions = {}): Promise<PagesLocal> {
  const { serverFile: functionFile, staticDir } = options.build ?? PAGES_BUILD;
  if (!fs.existsSync(functionFile)) throw new Error(`No ${functionFile}: run \`npm run build:cloudflare\`.`);
  const sessionWorkerFile = options.sessionObjects?.serverFile;
  if (sessionWorkerFile && !fs.existsSync(sessionWorkerFile)) {
    throw new Error(`No ${sessionWorkerFile}: run \`npm run build:workers\`.`);
  }
  // The Worker that defines the objects binds them itself, so an object can hand a session to another.
  const sessionWorker = sessionWorkerFile && {
    name: SESSION_WORKER,
    modulesRoot: path.dirname(sessionWorkerFile),
    modules: [{ type: "ESModule" as const, path: sessionWorkerFile }],
    compatibilityDate: compatibilityDate(),
    durableObjects: { SESSION_DO: { className: "SessionObject", useSQLite: true } },
  };

  const settings = (bindings: Record<string, string>): MiniflareOptions => ({
    host: "127.0.0.1",
    port: options.port ?? 0,
    // No download of Cloudflare's request.cf data: a fixed placeholder, offline.
    cf: false,
    workers: [
      {
        name: "pages",
        modulesRoot: path.dirname(functionFile),
        modules: [
          {
            type: "ESModule",
            path: path.join(path.dirname(functionFile), "pages-entry.mjs"),
            contents: pagesEntry(functionFile),
          },
          { type: "ESModule", path: functionFile },
        ],
        compatibilityDate: compatibilityDate(),
        bindings,
        kvNamespaces: options.kv ? ["SESSION_KV"] : [],
        durableObjects: sessionWorker
          ? { SESSION_DO: { className: "SessionObject", scriptName: SESSION_WORKER, useSQLite: true } }
          : {},
        assets: {
          directory: staticDir,
          binding: "ASSETS",
          routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: true },
        },
      },
      ...(sessionWorker ? [sessionWorker] : []),
    ],
    log: new Log(options.log ? LogLevel.INFO : LogLevel.NONE),
    handleRuntimeStdio: options.log
      ? (stdout: Readable, stderr: Readable) => {
          stdout.pipe(process.stdout);
          stderr.pipe(process.stderr);
        }
      : (stdout: Readable, stderr: Readable) => {
          stdout.resume();
          stderr.resume();
        },
  });

  const miniflare = new Miniflare(settings(options.bindings ?? {}));
  const url = (await miniflare.ready).origin;
  return {
    url,
    miniflare,
    async setBindings(bindings) {
      await miniflare.setOptions({ ...settings(bindings), port: Number(new URL(url).port) });
    },
    close: () => miniflare.dispose(),
  };
}

/** The compatibility date the deployment uses, from wrangler.toml. */
function compatibilityDate(): string {
  const toml = fs.readFileSync(path.join(ROOT, "wrangler.toml"), "utf8");
  const date = /^compatibility_date\s*=\s*"([\d-]+)"/m.exec(toml)?.[1];
  if (!date) throw new Error("wrangler.toml has no compatibility_date");
  return date;
}
