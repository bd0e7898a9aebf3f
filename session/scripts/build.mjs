#!/usr/bin/env node
// Builds the package into dist/ (or the folder `--out-dir` names, emptied first): tsc compiles ESM and
// .d.ts (tsconfig.build.json), then every relative import gets the file name Node's ESM loader needs
// ("./changes" becomes "./changes.js"), since the sources import without extensions, as the bundlers
// of the template app expect.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const require = createRequire(import.meta.url);
const ts = require("typescript");

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const tsconfig = path.join(root, "tsconfig.build.json");
const { values: args } = parseArgs({ options: { "out-dir": { type: "string" } } });
const dist = args["out-dir"] ? path.resolve(args["out-dir"]) : path.join(root, "dist");
const tsc = require.resolve("typescript/bin/tsc");

fs.rmSync(dist, { recursive: true, force: true });
// Progress goes to stderr: `npm pack --json` runs this and its stdout must stay JSON.
try {
  execFileSync(process.execPath, [tsc, "-p", tsconfig, "--outDir", dist], {
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

/** The import of `fromFile` (in dist/) that names `toFile` (in dist/), as Node and tsc spell it. */
function relativeSpecifier(fromFile, toFile) {
  const relative = path.relative(path.dirname(fromFile), toFile).split(path.sep).join("/");
  return relative.startsWith(".") ? relative : `./${relative}`;
}

/** The body of `declare module "name" { ... }` as the text of a module file: its exports, unindented. */
function moduleText(source, declaration) {
  const lines = source.text.slice(declaration.body.getStart(source) + 1, declaration.body.end - 1).split("\n");
  const indent = Math.min(...lines.filter((line) => line.trim()).map((line) => line.search(/\S/)));
  return lines
    .map((line) => line.slice(indent).trimEnd())
    .join("\n")
    .trim();
}

/**
 * The modules the package's hand-written .d.ts files declare (session-object.ts extends the class of
 * "cloudflare:workers", which only the Workers runtime provides), each written into dist/ as a module
 * file beside its source: `{ name, file }`. tsc copies no .d.ts sources, and a global
 * `declare module` shipped as is would clash with the one @cloudflare/workers-types (or
 * `wrangler types`) makes for the same name, so the emitted .d.ts files import these files by path.
 */
function emitDeclaredModules() {
  const { config } = ts.readConfigFile(tsconfig, ts.sys.readFile);
  const { fileNames } = ts.parseJsonConfigFileContent(config, ts.sys, root);
  return fileNames
    .filter((file) => file.endsWith(".d.ts"))
    .flatMap((file) => {
      const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
      const declarations = source.statements.filter(
        (statement) => ts.isModuleDeclaration(statement) && ts.isStringLiteral(statement.name) && statement.body,
      );
      if (declarations.length === 0) return [];
      if (declarations.length > 1 || declarations.length !== source.statements.length) {
        throw new Error(`${path.relative(root, file)}: declare one module and nothing else, to ship it as a file`);
      }
      const [declaration] = declarations;
      const name = declaration.name.text;
      const out = path.join(dist, path.relative(root, file));
      const origin = path.relative(root, file).split(path.sep).join("/");
      const header = `// The types of "${name}", which the Workers runtime provides; built from ${origin}.\n`;
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, `${header}${moduleText(source, declaration)}\n`);
      return [{ name, file: out }];
    });
}

const RELATIVE_IMPORT = /(\bfrom\s*|\bimport\s*\(?\s*)(["'])(\.{1,2}\/[^"']*?)(?<!\.js)\2/g;
const declaredModules = emitDeclaredModules();

for (const entry of fs.readdirSync(dist, { recursive: true })) {
  const file = path.join(dist, entry);
  if (!/\.(js|d\.ts)$/.test(file)) continue;
  const source = fs.readFileSync(file, "utf8");
  let fixed = source.replace(
    RELATIVE_IMPORT,
    (_, keyword, quote, specifier) => `${keyword}${quote}${withExtension(file, specifier)}${quote}`,
  );
  // Types only: the .js keeps importing the runtime's module.
  if (file.endsWith(".d.ts")) {
    for (const { name, file: declared } of declaredModules) {
      if (declared === file) continue;
      const specifier = relativeSpecifier(file, declared.replace(/\.d\.ts$/, ".js"));
      fixed = fixed.replaceAll(`from "${name}"`, `from "${specifier}"`);
    }
  }
  if (fixed !== source) fs.writeFileSync(file, fixed);
}
console.error(`auto-commit-session built into ${path.relative(process.cwd(), dist) || "."}`);
