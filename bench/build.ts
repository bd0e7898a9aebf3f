import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

/** The newest modification time of any file under `dir`, in ms; 0 for an empty or missing folder. */
export function newestMtime(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** Why `buildFile` must be rebuilt from `sourceDir`, or null when it is current. */
export function staleBuildReason(buildFile: string, sourceDir: string): string | null {
  if (!fs.existsSync(buildFile)) return `${buildFile} is missing`;
  return fs.statSync(buildFile).mtimeMs < newestMtime(sourceDir) ? `${buildFile} is older than ${sourceDir}/` : null;
}

/**
 * Runs `npm run build` only when build/index.js is missing or older than app/: other test runs
 * read build/ at the same time, and a needless rebuild would swap it under them.
 */
export function ensureBuild(log: (line: string) => void): void {
  const reason = staleBuildReason("build/index.js", "app");
  if (!reason) {
    log("build/index.js is current; not rebuilding");
    return;
  }
  log(`${reason}: running npm run build`);
  const result = spawnSync("npm", ["run", "build"], { stdio: ["ignore", process.stderr, process.stderr] });
  if (result.status !== 0) throw new Error(`npm run build failed (${result.signal ?? `exit ${result.status}`})`);
}
