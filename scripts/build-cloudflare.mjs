#!/usr/bin/env node
// Builds the app for Cloudflare, from the same app/ as the Express build, as a Pages project (the
// default) or, with --target=workers, as a Worker with static assets:
//   pages     functions/[[path]].js   the Pages Function (server.cloudflare.ts with the app bundled in)
//             public-cloudflare/      the browser build in build/, the files of public/, and Pages'
//                                     _routes.json and _headers
//   workers   build-workers/index.js  the Worker (server.worker.ts with the app and the session
//                                     Durable Object bundled in), wrangler.jsonc's "main"
//             public-workers/         its static assets: the browser build, the files of public/, _headers
// build/ and public/build/ (the Express build) are never touched.
//
// `remix build` cannot do this alone: the classic compiler always takes app/entry.server.tsx (Node
// streams) and the root tsconfig.json. So this runs the same compiler with two changes to the
// config remix.config.js gives for the target's REMIX_TARGET: app/entry.server.cloudflare.tsx as the
// server entry, and tsconfig.cloudflare.json, whose paths resolve "@remix-run/node" to
// "@remix-run/cloudflare" (same API, Web Crypto inside) for this build only.
//
//   node scripts/build-cloudflare.mjs [--target=workers]              a clean build (for a deployment)
//   node scripts/build-cloudflare.mjs [--target=workers] --if-stale   build only when a source is newer
//                                                  than the output, keeping earlier browser files (tests, previews)
//
// Builds are serialised with a lock, so tests starting at the same time never read a half-written build.
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** What each target builds: REMIX_TARGET for remix.config.js, the server bundle, the static folder. */
const TARGETS = {
  pages: {
    name: "Cloudflare Pages",
    remixTarget: "cloudflare",
    serverFile: path.join(root, "functions", "[[path]].js"),
    staticDir: path.join(root, "public-cloudflare"),
    writeRouting: writePagesRoutes,
  },
  workers: {
    name: "Cloudflare Workers",
    remixTarget: "workers",
    serverFile: path.join(root, "build-workers", "index.js"),
    staticDir: path.join(root, "public-workers"),
    writeRouting: writeHeaders,
  },
};
const targetName =
  /^--target=(\w+)$/.exec(process.argv.find((arg) => arg.startsWith("--target=")) ?? "")?.[1] ?? "pages";
const target = TARGETS[targetName];
if (!target) {
  console.error(`Unknown --target=${targetName}; use pages or workers.`);
  process.exit(1);
}
const { serverFile, staticDir } = target;
const lockDir = path.join(root, "node_modules", ".cache", "build-cloudflare.lock");

/** Files whose change makes the bundle stale besides those the compiler read (listed in its metafiles). */
const CONFIG_FILES = [
  "remix.config.js",
  "tsconfig.json",
  "tsconfig.cloudflare.json",
  "postcss.config.js",
  "package-lock.json",
  "scripts/build-cloudflare.mjs",
];

process.env.REMIX_TARGET = target.remixTarget;
// Always a production build, whatever NODE_ENV the caller runs under (vitest sets "test"); the
// deployment's own mode comes from its ENVIRONMENT binding.
process.env.NODE_ENV = "production";

/** The compiler already printed why. */
class BuildFailed extends Error {}

const ifStale = process.argv.includes("--if-stale");
try {
  await withLock(async () => {
    if (ifStale) {
      const reason = staleReason();
      if (!reason) return;
      console.log(`${target.name} build is stale (${reason}); rebuilding.`);
    }
    await build({ clean: !ifStale });
  });
} catch (error) {
  if (!(error instanceof BuildFailed)) console.error(error);
  process.exitCode = 1;
}
// The compiler keeps its esbuild contexts open; the Remix CLI exits the same way.
process.exit();

/**
 * `clean` empties public-cloudflare/ first, as a deployment wants. Rebuilds for tests and previews
 * keep the old fingerprinted files, so a server still running the previous build can serve them.
 */
async function build({ clean }) {
  const { readConfig } = require("@remix-run/dev/dist/config.js");
  const { build: compile } = require("@remix-run/dev/dist/compiler/build.js");
  const { createFileWatchCache } = require("@remix-run/dev/dist/compiler/fileWatchCache.js");
  const { logThrown } = require("@remix-run/dev/dist/compiler/utils/log.js");
  const { logger } = require("@remix-run/dev/dist/tux/logger.js");

  const started = Date.now();
  const mode = process.env.NODE_ENV;
  const config = await readConfig(root, mode);
  if (config.serverBuildPath !== serverFile) {
    throw new Error(
      `remix.config.js did not switch to the ${target.name} target (server build: ${config.serverBuildPath}).`,
    );
  }
  config.entryServerFile = "entry.server.cloudflare.tsx";
  config.entryServerFilePath = path.join(config.appDirectory, config.entryServerFile);
  config.tsconfigPath = path.join(root, "tsconfig.cloudflare.json");

  console.log(`Building for ${target.name} (NODE_ENV=${mode})...`);
  if (clean) fs.rmSync(staticDir, { recursive: true, force: true });
  fs.mkdirSync(config.assetsBuildDirectory, { recursive: true });
  try {
    await compile({ config, options: { mode, sourcemap: false }, fileWatchCache: createFileWatchCache(), logger });
  } catch (thrown) {
    logThrown(thrown);
    throw new BuildFailed();
  }
  copyPublicFiles(path.join(root, "public"), staticDir);
  target.writeRouting(staticDir);
  console.log(
    `Built ${path.relative(root, serverFile)} and ${path.relative(root, staticDir)}/ in ${Date.now() - started} ms.`,
  );
}

/** Everything in public/ except the Express browser build. */
function copyPublicFiles(from, to) {
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    if (entry.name === "build") continue;
    fs.cpSync(path.join(from, entry.name), path.join(to, entry.name), { recursive: true });
  }
}

/**
 * Pages serves the paths _routes.json excludes without invoking the Function: the fingerprinted
 * browser build and the top-level public files. _headers caches the fingerprinted files for a year.
 */
function writePagesRoutes(dir) {
  const publicFiles = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => !entry.name.startsWith("_"))
    .map((entry) => (entry.isDirectory() ? `/${entry.name}/*` : `/${entry.name}`));
  const routes = { version: 1, include: ["/*"], exclude: publicFiles.sort() };
  fs.writeFileSync(path.join(dir, "_routes.json"), `${JSON.stringify(routes, null, 2)}\n`);
  writeHeaders(dir);
}

/** Workers static assets need no routes file: any path with a file is served before the Worker runs. */
function writeHeaders(dir) {
  fs.writeFileSync(path.join(dir, "_headers"), "/build/*\n  Cache-Control: public, max-age=31536000, immutable\n");
}

/** Why the output must be rebuilt, or null when it is current. */
function staleReason() {
  if (!fs.existsSync(serverFile) || !fs.existsSync(path.join(staticDir, "_headers"))) return "no build yet";
  const builtAt = fs.statSync(serverFile).mtimeMs;
  const inputs = new Set(CONFIG_FILES.map((file) => path.join(root, file)));
  // New or deleted route files change their folder, not any file the last build read.
  for (const dir of ["app", "app/routes", "public"]) inputs.add(path.join(root, dir));
  for (const name of ["metafile.server.json", "metafile.js.json"]) {
    const metafile = path.join(path.dirname(serverFile), name);
    if (!fs.existsSync(metafile)) return `no ${name}`;
    for (const input of Object.keys(JSON.parse(fs.readFileSync(metafile, "utf8")).inputs)) {
      // Plugin namespaces prefix some inputs ("route:app/root.tsx"); node_modules is covered by the lockfile.
      const file = path.resolve(root, input.replace(/^[\w-]+:/, "").replace(/\?.*$/, ""));
      if (!file.includes(`${path.sep}node_modules${path.sep}`)) inputs.add(file);
    }
  }
  for (const file of inputs) {
    if (fs.existsSync(file) && fs.statSync(file).mtimeMs > builtAt) return `${path.relative(root, file)} changed`;
  }
  return null;
}

/** Runs `action` while holding a lock folder; a lock older than ten minutes is left from a crash. */
async function withLock(action) {
  fs.mkdirSync(path.dirname(lockDir), { recursive: true });
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      break;
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
      const age = Date.now() - fs.statSync(lockDir, { throwIfNoEntry: false })?.mtimeMs;
      if (age > 10 * 60_000) fs.rmSync(lockDir, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`Timed out waiting for ${lockDir}`);
      else await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    await action();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}
