import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const packageDir = __dirname;
const repoNodeModules = path.resolve(packageDir, "..", "node_modules");
const manifest = JSON.parse(fs.readFileSync(path.join(packageDir, "package.json"), "utf8"));

/** The entries made for Workers, whose types must also check beside @cloudflare/workers-types. */
const WORKERS_ENTRIES = [
  "auto-commit-session/cloudflare",
  "auto-commit-session/stores/workers-kv",
  "auto-commit-session/stores/durable-object",
  "auto-commit-session/stores/session-object",
];
/** The entry whose peer (@remix-run/cloudflare) loads @cloudflare/workers-types, which clash with the DOM library. */
const NEEDS_WORKERS_TYPES = "auto-commit-session/cloudflare";

// A consumer's folder, outside the repository: the package built as it is published, beside every other
// package of the repository's node_modules (so the peer dependencies resolve as they would once installed).
let consumer: string;
let installed: string;
let dist: string;

beforeAll(() => {
  // Real path: tsc names the files it checks by theirs.
  consumer = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "auto-commit-session-types-")));
  installed = path.join(consumer, "node_modules", "auto-commit-session");
  dist = path.join(installed, "dist");
  fs.mkdirSync(installed, { recursive: true });
  for (const name of fs.readdirSync(repoNodeModules)) {
    if (name.startsWith(".") || name === manifest.name) continue;
    fs.symlinkSync(path.join(repoNodeModules, name), path.join(consumer, "node_modules", name));
  }
  fs.copyFileSync(path.join(packageDir, "package.json"), path.join(installed, "package.json"));
  execFileSync(process.execPath, [path.join(packageDir, "scripts", "build.mjs"), "--out-dir", dist], {
    stdio: "ignore",
  });
}, 120_000);

afterAll(() => {
  if (consumer) fs.rmSync(consumer, { recursive: true, force: true });
});

/** Every .d.ts file of the build, as absolute paths. */
function declarationFiles(): string[] {
  return fs
    .readdirSync(dist, { recursive: true, encoding: "utf8" })
    .filter((entry) => entry.endsWith(".d.ts"))
    .map((entry) => path.join(dist, entry));
}

/** What each .d.ts file imports (`import`, `export ... from`, `import()`) and its `/// <reference path>`s. */
function declarationLinks(): { file: string; imports: string[]; references: string[] }[] {
  return declarationFiles().map((file) => {
    const info = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true);
    return {
      file,
      imports: info.importedFiles.map((ref) => ref.fileName),
      references: info.referencedFiles.map((ref) => ref.fileName),
    };
  });
}

/**
 * The errors tsc reports, under `options`, in a consumer file importing `entries` and in the package's
 * own .d.ts files (checked in full: skipLibCheck off). The peers' .d.ts files are left out: some do
 * not pass a full check on their own (@remix-run/router wants the DOM's Window, for one).
 */
function consumerErrors(name: string, entries: string[], options: ts.CompilerOptions): string[] {
  const file = path.join(consumer, `${name}.ts`);
  const imports = entries.map((entry, index) => `import * as entry${index} from "${entry}";`);
  fs.writeFileSync(
    file,
    `${imports.join("\n")}\nexport { ${entries.map((_, index) => `entry${index}`).join(", ")} };\n`,
  );
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    ...options,
  });
  const ours = (fileName: string) => fileName === file || !path.relative(installed, fileName).startsWith("..");
  return ts
    .getPreEmitDiagnostics(program)
    .filter((diagnostic) => !diagnostic.file || ours(diagnostic.file.fileName))
    .map((diagnostic) => ts.formatDiagnostic(diagnostic, ts.createCompilerHost({})).trim());
}

/** `dist/...` files the package's `files` field leaves out of the published package. */
function unpublished(files: string[]): string[] {
  return files
    .map((file) => path.relative(installed, file).split(path.sep).join("/"))
    .filter((file) => !manifest.files.some((entry: string) => file === entry || file.startsWith(`${entry}/`)));
}

/** The import names of the package's code entries. */
function entryNames(): string[] {
  return Object.entries(manifest.exports)
    .filter(([, target]) => typeof target === "object")
    .map(([subpath]) => path.posix.join(manifest.name, subpath));
}

describe("the auto-commit-session package's type declarations", () => {
  it("link only to files inside dist, by every relative import and reference path", () => {
    const broken = declarationLinks().flatMap(({ file, imports, references }) => {
      const targets = [
        ...imports.filter((name) => name.startsWith(".")).map((name) => name.replace(/\.js$/, ".d.ts")),
        ...references,
      ];
      return targets
        .map((name) => path.resolve(path.dirname(file), name))
        .filter((target) => !fs.existsSync(target) || path.relative(dist, target).startsWith(".."))
        .map((target) => `${path.relative(dist, file)} -> ${path.relative(dist, target)}`);
    });
    expect(broken).toEqual([]);
  });

  it("import nothing from outside the package but its peer dependencies", () => {
    const peers = Object.keys(manifest.peerDependencies);
    const strays = declarationLinks().flatMap(({ file, imports }) =>
      imports
        .filter((name) => !name.startsWith("."))
        .filter((name) => !peers.some((peer) => name === peer || name.startsWith(`${peer}/`)))
        .map((name) => `${path.relative(dist, file)}: ${name}`),
    );
    expect(strays).toEqual([]);
  });

  it("are all published by the files field", () => {
    expect(unpublished(declarationFiles())).toEqual([]);
  });

  it("type-check for a consumer with no ambient types, library check on", () => {
    const entries = entryNames().filter((name) => name !== NEEDS_WORKERS_TYPES);
    const errors = consumerErrors("every-entry", entries, { types: [], lib: ["lib.es2022.d.ts", "lib.dom.d.ts"] });
    expect(errors).toEqual([]);
  }, 90_000);

  it("type-check on Workers beside @cloudflare/workers-types, which declares cloudflare:workers too", () => {
    const errors = consumerErrors("workers", WORKERS_ENTRIES, {
      types: ["@cloudflare/workers-types"],
      lib: ["lib.es2022.d.ts"],
    });
    expect(errors).toEqual([]);
  }, 90_000);
});
