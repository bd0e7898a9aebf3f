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
//   node scripts/build-cloudflare.mjs [--target=workers] [--out=DIR [--server=FILE]]
//
// --out=DIR (relative to the project's root) writes DIR/index.js and DIR/assets/ instead, leaving the
// folders above as they are: the tests build into a folder of their own (tests/support/
// cloudflare-global-setup.ts). --server=FILE, only with --out, bundles another server entry than
// remix.config.js names (the bench's bare Worker). Every build starts from an empty static folder.
//
// Why not `remix build`: the classic compiler always takes app/entry.server.tsx (Node streams) and the
// root tsconfig.json, and no option of remix.config.js changes either. So this runs the compiler that
// `remix build` runs, on the config remix.config.js gives for the target's REMIX_TARGET, with two
// changes: app/entry.server.cloudflare.tsx as the server entry, and tsconfig.cloudflare.json, whose
// paths resolve "@remix-run/node" to "@remix-run/cloudflare" (same API, Web Crypto inside) for this
// build only. @remix-run/dev exports no API for that, so the four modules below are reached by path:
// the config reader, the compiler and the two values it takes, as `remix build` itself calls them
// (dist/cli/commands.js), held still by the exact @remix-run/dev version in package.json.
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const require = createRequire(import.meta.url);
const { readConfig } = require("@remix-run/dev/dist/config.js");
const { create: createCompiler } = require("@remix-run/dev/dist/compiler/compiler.js");
const { createFileWatchCache } = require("@remix-run/dev/dist/compiler/fileWatchCache.js");
const { logger } = require("@remix-run/dev/dist/tux/logger.js");

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** What each target builds: REMIX_TARGET for remix.config.js, where it writes, the files Cloudflare reads beside it. */
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

const args = parseOptions();
const target = TARGETS[args.target];
if (!target) usageError(`Unknown --target=${args.target}; use pages or workers.`);
if (args.server && !args.out) usageError("--server=FILE needs --out=DIR: the project's own build keeps its entry.");
const serverFile = args.out ? path.resolve(root, args.out, "index.js") : target.serverFile;
const staticDir = args.out ? path.resolve(root, args.out, "assets") : target.staticDir;

process.env.REMIX_TARGET = target.remixTarget;
// Always a production build, whatever NODE_ENV the caller runs under (vitest sets "test"); the
// deployment's own mode comes from its ENVIRONMENT binding.
process.env.NODE_ENV = "production";

const started = Date.now();
const config = await readConfig(root, process.env.NODE_ENV);
if (config.serverBuildPath !== target.serverFile) {
  throw new Error(
    `remix.config.js did not switch to the ${target.name} target (server build: ${config.serverBuildPath}).`,
  );
}
config.entryServerFile = "entry.server.cloudflare.tsx";
config.entryServerFilePath = path.join(config.appDirectory, config.entryServerFile);
config.tsconfigPath = path.join(root, "tsconfig.cloudflare.json");
config.serverBuildPath = serverFile;
config.assetsBuildDirectory = path.join(staticDir, "build");
if (args.server) config.serverEntryPoint = path.resolve(root, args.server);

console.log(`Building for ${target.name} (NODE_ENV=${process.env.NODE_ENV})...`);
fs.rmSync(staticDir, { recursive: true, force: true });
fs.mkdirSync(config.assetsBuildDirectory, { recursive: true });
const compiler = await createCompiler({
  config,
  options: { mode: process.env.NODE_ENV, sourcemap: false },
  fileWatchCache: createFileWatchCache(),
  logger,
});
const failure = await compiler.compile().then(
  () => null,
  (thrown) => thrown,
);
// Stopping esbuild's contexts lets the process end by itself: exiting with them open can make
// esbuild's service print a deadlock trace.
await compiler.dispose();
if (failure) {
  // esbuild's failure lists each error with its file and line.
  console.error(failure instanceof Error ? failure.message : failure);
  process.exit(1);
}
copyPublicFiles(path.join(root, "public"), staticDir);
target.writeRouting(staticDir);
console.log(
  `Built ${path.relative(root, serverFile)} and ${path.relative(root, staticDir)}/ in ${Date.now() - started} ms.`,
);

/** The command line's options; an unknown one stops the build with a message. */
function parseOptions() {
  const options = { target: { type: "string", default: "pages" }, out: { type: "string" }, server: { type: "string" } };
  try {
    return parseArgs({ options }).values;
  } catch (error) {
    return usageError(
      `${error.message}\nUsage: node scripts/build-cloudflare.mjs [--target=workers] [--out=DIR [--server=FILE]]`,
    );
  }
}

/** Stops with `message` before anything is built. */
function usageError(message) {
  console.error(message);
  process.exit(1);
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
