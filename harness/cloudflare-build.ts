import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BUILD_SCRIPT = path.join(ROOT, "scripts", "build-cloudflare.mjs");

/** A Cloudflare build on disk: the server bundle and the folder of static files served beside it. */
export interface CloudflareBuild {
  serverFile: string;
  staticDir: string;
}

/** Where `npm run build:cloudflare` writes: the Pages Function and the Pages output folder. */
export const PAGES_BUILD: CloudflareBuild = {
  serverFile: path.join(ROOT, "functions", "[[path]].js"),
  staticDir: path.join(ROOT, "public-cloudflare"),
};

/** Where `npm run build:workers` writes: wrangler.jsonc's "main" and its assets directory. */
export const WORKERS_BUILD: CloudflareBuild = {
  serverFile: path.join(ROOT, "build-workers", "index.js"),
  staticDir: path.join(ROOT, "public-workers"),
};

/**
 * Builds `target` into `dir` (`dir/index.js`, `dir/assets/`) with scripts/build-cloudflare.mjs
 * `--out`, so the project's own build folders stay as they are; rejects with the compiler's output.
 */
export async function buildCloudflare(target: "pages" | "workers", dir: string): Promise<CloudflareBuild> {
  try {
    await promisify(execFile)(process.execPath, [BUILD_SCRIPT, `--target=${target}`, `--out=${dir}`], { cwd: ROOT });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`The ${target} build failed:\n${stdout ?? ""}${stderr ?? ""}`);
  }
  return { serverFile: path.join(dir, "index.js"), staticDir: path.join(dir, "assets") };
}
