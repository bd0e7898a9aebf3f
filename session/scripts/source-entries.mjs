// The package's entries, each with the source file its dist/ file is built from: the one rule
// ("dist/<path>.js is built from <path>.ts") that lets the template app import the package by name
// and run the sources, with no build, in Vitest (vitest.config.ts) as tsconfig.json's paths do for
// tsc, tsx and the Remix compiler (session/package-entries.test.ts checks that they agree).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** `{ name, source }` for every code entry of the exports map: the import name and its .ts file. */
export function sourceEntries() {
  const manifest = JSON.parse(fs.readFileSync(path.join(packageDir, "package.json"), "utf8"));
  return Object.entries(manifest.exports)
    .filter(([, target]) => typeof target === "object")
    .map(([subpath, target]) => ({
      name: path.posix.join(manifest.name, subpath),
      source: path.join(packageDir, target.default.replace(/^\.\/dist\//, "").replace(/\.js$/, ".ts")),
    }));
}
