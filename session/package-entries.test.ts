import fs from "node:fs";
import path from "node:path";

import ts from "typescript";
import { describe, expect, it } from "vitest";

import { sourceEntries } from "./scripts/source-entries.mjs";

const root = path.resolve(__dirname, "..");

/** The file `name` resolves to under a tsconfig's compiler options (its `paths`, as tsc, tsx and Remix read them). */
function resolvedBy(tsconfigFile: string, name: string): string | undefined {
  const { config } = ts.readConfigFile(tsconfigFile, ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, path.dirname(tsconfigFile));
  const from = path.join(root, "server", "app.ts");
  return ts.resolveModuleName(name, from, options, ts.sys).resolvedModule?.resolvedFileName;
}

/** Bare module names a source file imports for use at run time (type-only imports left out). */
function runtimeImports(file: string): string[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022);
  return source.statements.flatMap((statement) => {
    if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) return [];
    const specifier = (statement.moduleSpecifier as ts.StringLiteral | undefined)?.text;
    if (!specifier || specifier.startsWith(".")) return [];
    const clause = ts.isImportDeclaration(statement) ? statement.importClause : undefined;
    const typeOnly = ts.isImportDeclaration(statement) ? clause?.isTypeOnly : statement.isTypeOnly;
    const namedTypesOnly =
      clause?.namedBindings && ts.isNamedImports(clause.namedBindings) && !clause.name
        ? clause.namedBindings.elements.every((element) => element.isTypeOnly)
        : false;
    return typeOnly || namedTypesOnly ? [] : [specifier];
  });
}

describe("the auto-commit-session package", () => {
  it.each(sourceEntries())(
    "$name runs from its source in the workspace, for tsc, tsx and Remix",
    ({ name, source }) => {
      expect(fs.existsSync(source)).toBe(true);
      expect(resolvedBy(path.join(root, "tsconfig.json"), name)).toBe(source);
      expect(resolvedBy(path.join(root, "tsconfig.cloudflare.json"), name)).toBe(source);
    },
  );

  it("keeps its core free of run-time imports, so the core entry runs on any server", () => {
    const coreDir = path.join(root, "session", "core");
    const files = fs.readdirSync(coreDir).filter((file) => file.endsWith(".ts") && !file.endsWith(".test.ts"));
    const imports = files.flatMap((file) => runtimeImports(path.join(coreDir, file)).map((name) => `${file}: ${name}`));
    expect(imports).toEqual([]);
  });
});
