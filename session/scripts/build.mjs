#!/usr/bin/env node
// Builds the package into dist/: tsc compiles ESM and .d.ts (tsconfig.build.json), then every relative
// import gets the file name Node's ESM loader needs ("./changes" becomes "./changes.js"), since the
// sources import without extensions, as the bundlers of the template app expect.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(root, "dist");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

fs.rmSync(dist, { recursive: true, force: true });
// Progress goes to stderr: `npm pack --json` runs this and its stdout must stay JSON.
try {
  execFileSync(process.execPath, [tsc, "-p", path.join(root, "tsconfig.build.json")], {
    stdio: ["ignore", process.stderr, process.stderr],
  });
} catch {
  console.error("auto-commit-session: tsc failed (above); dist/ is not built");
  process.exit(1);
}

/** `specifier` with the file name it stands for in dist/, relative to `fromFile`. */
function withExtension(fromFile, specifier) {
  const target = path.resolve(path.dirname(fromFile), specifier);
  if (fs.existsSync(`${target}.js`)) return `${specifier}.js`;
  if (fs.existsSync(path.join(target, "index.js"))) return `${specifier}/index.js`;
  throw new Error(`${path.relative(root, fromFile)}: cannot find what "${specifier}" imports`);
}

const RELATIVE_IMPORT = /(\bfrom\s*|\bimport\s*\(?\s*)(["'])(\.{1,2}\/[^"']*?)(?<!\.js)\2/g;

for (const entry of fs.readdirSync(dist, { recursive: true })) {
  const file = path.join(dist, entry);
  if (!/\.(js|d\.ts)$/.test(file)) continue;
  const source = fs.readFileSync(file, "utf8");
  const fixed = source.replace(
    RELATIVE_IMPORT,
    (_, keyword, quote, specifier) => `${keyword}${quote}${withExtension(file, specifier)}${quote}`,
  );
  if (fixed !== source) fs.writeFileSync(file, fixed);
}
console.error(`auto-commit-session built into ${path.relative(process.cwd(), dist) || "."}`);
