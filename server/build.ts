import fs from "node:fs";
import path from "node:path";
import url from "node:url";

import { broadcastDevReady, type ServerBuild } from "@remix-run/node";

const BUILD_PATH = path.resolve("build/index.js");

/** Imports the server build; the query string defeats the module cache after a rebuild. */
export async function importBuild(): Promise<ServerBuild> {
  if (!fs.existsSync(BUILD_PATH)) {
    throw new Error(`No server build at ${BUILD_PATH}. Run \`npm run build\` first.`);
  }
  const stat = fs.statSync(BUILD_PATH);
  return import(`${url.pathToFileURL(BUILD_PATH).href}?t=${stat.mtimeMs}`);
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
export async function loadBuild(dev: boolean): Promise<LoadedBuild> {
  let build = await importBuild();
  if (!dev) return { build, listening: async () => {} };

  // Only `remix dev` sets this; run by hand, the server still reloads builds but has nobody to tell.
  const announce = process.env.REMIX_DEV_ORIGIN ? () => broadcastDevReady(build) : async () => {};
  fs.watch(path.dirname(BUILD_PATH), async (_event, file) => {
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
