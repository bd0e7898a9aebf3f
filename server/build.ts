import fs from "node:fs";
import path from "node:path";
import url from "node:url";

import { broadcastDevReady, type ServerBuild } from "@remix-run/node";

import { buildFolders } from "./build-folders";

// Read on use, not at import: server.ts loads .env, which may set REMIX_SINGLE_FETCH, after its imports.
function folders() {
  try {
    return buildFolders();
  } catch (error) {
    throw new BuildError((error as Error).message);
  }
}
const buildPath = () => path.resolve(folders().serverBuildPath);
const buildCommand = () => (folders().singleFetch ? "npm run build:single-fetch" : "npm run build");

/** The build cannot be served; the message is one line saying what to run. */
export class BuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BuildError";
  }
}

/** Imports the server build; the query string defeats the module cache after a rebuild. */
export async function importBuild(): Promise<ServerBuild> {
  if (!fs.existsSync(buildPath())) {
    throw new BuildError(
      `there is no server build (${path.relative(process.cwd(), buildPath())}); run \`${buildCommand()}\` first.`,
    );
  }
  const stat = fs.statSync(buildPath());
  return import(`${url.pathToFileURL(buildPath()).href}?t=${stat.mtimeMs}`);
}

/** The build to serve, and what to call once the server listens. */
export interface LoadedBuild {
  build: ServerBuild | (() => Promise<ServerBuild>);
  listening(): Promise<void>;
}

/**
 * Production imports the build once. Development re-imports it whenever `remix dev` writes a new one
 * and tells `remix dev` the server is ready, which reloads the browser.
 */
export async function loadBuild(mode: "production" | "development" | "test"): Promise<LoadedBuild> {
  let build = await importBuild();
  if (mode === "production" && build.mode !== "production") {
    // `npm run dev` leaves a build compiled against React's development JSX runtime, which production
    // React does not provide: every page would be a 500 while /lab/ping kept a health check green.
    throw new BuildError(
      `${path.relative(process.cwd(), buildPath())} is a ${build.mode} build (from \`npm run dev\`), which cannot run in production; run \`${buildCommand()}\` first.`,
    );
  }
  if (mode !== "development") return { build, listening: async () => {} };

  // Only `remix dev` sets this; run by hand, the server still reloads builds but has nobody to tell.
  const announce = process.env.REMIX_DEV_ORIGIN ? () => broadcastDevReady(build) : async () => {};
  fs.watch(path.dirname(buildPath()), async (_event, file) => {
    if (file !== "version.txt") return;
    try {
      build = await importBuild();
      await announce();
    } catch (error) {
      console.error("Could not load the new build:", error);
    }
  });
  return { build: async () => build, listening: announce };
}
