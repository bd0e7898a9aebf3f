import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { afterAll, describe, expect, it } from "vitest";

import { loadConfig, SESSION_STORES } from "../server/config";
import type { Settings } from "../server/environment";
import { MIN_SECRET_LENGTH } from "../server/session-settings";
import { rollingDue } from "../session/core/lifetime";

/**
 * The settings are described three times: the code that reads them (server/config.ts, and the shared
 * server/session-settings.ts and server/lab-context.ts), the README's settings table and .env.example.
 * This test is what keeps the three one source of truth: the same names; every documented default is what the code does when
 * the setting is unset; and what a value means (the values a setting accepts, what 0 does, the shortest
 * secret) is said the same way in both documents and checked against the code.
 */

const README = fs.readFileSync("README.md", "utf8");
const ENV_EXAMPLE = fs.readFileSync(".env.example", "utf8");
const CODE = ["server/config.ts", "server/session-settings.ts", "server/lab-context.ts"]
  .map((file) => fs.readFileSync(file, "utf8"))
  .join("\n");

type Default =
  | { kind: "none" }
  | { kind: "value"; value: string }
  | { kind: "byMode"; production: string; otherwise: string }
  | { kind: "described"; text: string };

interface Documented {
  name: string;
  default: Default;
  meaning: string;
}

const unquote = (text: string) => text.trim().replace(/^`(.*)`$/, "$1");

/** A README default cell: blank, a literal (`x` or a number, maybe with a note), or "A in production, B otherwise". */
function readmeDefault(cell: string): Default {
  const text = cell.trim();
  if (text === "") return { kind: "none" };
  const byMode = /^(`[^`]*`|\S+) in production, (`[^`]*`|\S+) otherwise$/.exec(text);
  if (byMode) return { kind: "byMode", production: unquote(byMode[1]), otherwise: unquote(byMode[2]) };
  const literal = /^`([^`]*)`$/.exec(text) ?? /^(\d+)(?: \([^)]*\))?$/.exec(text);
  if (literal) return { kind: "value", value: literal[1] };
  return { kind: "described", text };
}

/** The rows of the first table under "## Settings and switching stores". */
function readmeSettings(): Documented[] {
  const section = README.split(/^## /m).find((part) => part.startsWith("Settings and switching stores"));
  if (!section) throw new Error('README.md has no "## Settings and switching stores" section');
  const rows = section
    .split("\n")
    .filter((line) => line.startsWith("|"))
    .map((line) =>
      line
        .slice(1, -1)
        .split("|")
        .map((cell) => cell.trim()),
    );
  const [header, , ...body] = rows;
  expect(header, "the settings table's columns").toEqual(["variable", "default", "meaning"]);
  return body.flatMap(([variable, defaults, meaning]) => {
    const names = [...variable.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((match) => match[1]);
    // "`PORT`, `HOST`" with "`3000`, `127.0.0.1`": one default each, in order.
    const cells = names.length > 1 ? defaults.split(/,\s*/) : [defaults];
    expect(cells, `one default per name in the README row of ${names.join(", ")}`).toHaveLength(names.length);
    return names.map((name, index) => ({ name, default: readmeDefault(cells[index]), meaning }));
  });
}

/** The blocks of .env.example: comment lines describing a setting, then `# NAME=default` or `NAME=`. */
function envExampleSettings(): Documented[] {
  return ENV_EXAMPLE.split(/\n\s*\n/).flatMap((block) => {
    const lines = block.trim().split("\n");
    const setting = /^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(lines[lines.length - 1]);
    if (!setting) return [];
    const [, commented, name, value] = setting;
    const meaning = lines
      .slice(0, -1)
      .map((line) => line.replace(/^#\s?/, ""))
      .join(" ");
    // A commented line shows the default; an uncommented one is a value to fill in.
    const shown: Default = commented && value.trim() !== "" ? { kind: "value", value: value.trim() } : { kind: "none" };
    return [{ name, default: shown, meaning }];
  });
}

/** Every setting name the code reads from the environment. */
function codeSettingNames(): string[] {
  const names = new Set<string>();
  for (const [, name] of CODE.matchAll(/\b(?:text|integer|boolean|oneOf|origin)\(\s*env,\s*"([A-Z][A-Z0-9_]*)"/g)) {
    names.add(name);
  }
  for (const [, name] of CODE.matchAll(/\benv\.([A-Z][A-Z0-9_]*)\b/g)) names.add(name);
  return [...names].sort();
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "settings-docs-"));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

type Mode = "production" | "development" | "test";
const MODES: Mode[] = ["production", "development", "test"];

/**
 * What the code makes of `env` on top of a base where every setting can be read (the Redis store,
 * so its settings count too), with `name` itself left unset unless `env` sets it.
 */
function configWith(name: string, mode: Mode, env: Settings = {}): unknown {
  const base: Settings = {
    NODE_ENV: mode,
    SESSION_STORE: "redis",
    REDIS_URL: "redis://127.0.0.1:6379",
    SESSION_SECRET: "s".repeat(MIN_SECRET_LENGTH),
  };
  delete base[name];
  try {
    return loadConfig({ ...base, ...env }, () => {});
  } catch (error) {
    return { refused: (error as Error).message };
  }
}

const readme = readmeSettings();
const envExample = envExampleSettings();
const documents = [
  { file: "README.md (settings table)", settings: readme },
  { file: ".env.example", settings: envExample },
];

describe("settings: the code, the README's table and .env.example agree", () => {
  it("name the same settings, each once", () => {
    const code = codeSettingNames();
    for (const { file, settings } of documents) {
      const names = settings.map((setting) => setting.name);
      expect(
        names.filter((name, index) => names.indexOf(name) !== index),
        `${file} lists a setting twice`,
      ).toEqual([]);
      expect([...names].sort(), `${file} against the settings the code reads`).toEqual(code);
    }
  });

  describe.each(documents)("$file", ({ file, settings }) => {
    it.each(settings.map((setting) => [setting.name, setting] as const))(
      "documents the default of %s as what the code does when it is unset",
      (name, setting) => {
        const documented = setting.default;
        // configWith leaves `name` unset, so for NODE_ENV the mode is the code's own choice.
        const modes: Mode[] = name === "NODE_ENV" ? ["development"] : MODES;
        for (const mode of modes) {
          const value =
            documented.kind === "value"
              ? documented.value
              : documented.kind === "byMode"
                ? mode === "production"
                  ? documented.production
                  : documented.otherwise
                : undefined;
          if (value === undefined) continue;
          expect(configWith(name, mode, { [name]: value }), `${file}: ${name}=${value} in ${mode}`).toEqual(
            configWith(name, mode),
          );
        }
        if (documented.kind === "described") {
          expect(
            DESCRIBED_DEFAULTS,
            `${file}: "${documented.text}" for ${name} is not a value the test can check`,
          ).toHaveProperty(name);
          expect(documented.text).toBe(DESCRIBED_DEFAULTS[name].text);
          DESCRIBED_DEFAULTS[name].holds();
        }
      },
    );
  });

  it("give a setting the same default in both documents, or none in both", () => {
    const envDefaults = new Map(envExample.map((setting) => [setting.name, setting.default]));
    for (const setting of readme) {
      const inEnv = envDefaults.get(setting.name);
      if (!inEnv) continue;
      const readmeHasOne = setting.default.kind === "value";
      // .env.example shows only literal defaults; a mode-dependent or described one is left unset there.
      if (setting.default.kind === "byMode" || setting.default.kind === "described") {
        expect(inEnv.kind, `.env.example shows a single default for ${setting.name}`).toBe("none");
      } else {
        expect(
          inEnv.kind === "value",
          `${setting.name}: README default ${JSON.stringify(setting.default)}, .env.example ${JSON.stringify(inEnv)}`,
        ).toBe(readmeHasOne);
      }
    }
  });

  it("write a mode-dependent default out in both documents", () => {
    for (const setting of readme) {
      if (setting.default.kind !== "byMode") continue;
      const inEnv = envExample.find((entry) => entry.name === setting.name)!;
      expect(inEnv.meaning, `.env.example on ${setting.name}`).toContain(setting.default.production);
      expect(inEnv.meaning, `.env.example on ${setting.name}`).toContain(setting.default.otherwise);
    }
  });

  it("give a number default's note in the right unit", () => {
    const units: Record<string, number> = { minute: 60, hour: 3600, day: 86400 };
    for (const match of README.matchAll(/\| (\d+) \((\d+) (minute|hour|day)s?\)/g)) {
      const [, seconds, count, unit] = match;
      expect(Number(count) * units[unit], match[0]).toBe(Number(seconds));
    }
  });

  describe.each(MEANINGS_OF_VALUES())("say what $name means the way the code does: $says", (meaning) => {
    it("in the code", () => meaning.holds());
    it.each(documents)("in $file", ({ settings }) => {
      const setting = settings.find((entry) => entry.name === meaning.name);
      expect(setting, `${meaning.name} is documented`).toBeDefined();
      expect(setting!.meaning).toMatch(meaning.pattern);
      if (meaning.never) expect(setting!.meaning).not.toMatch(meaning.never);
    });
  });
});

/** Defaults the documents describe in words, each with what the code must do for it to be true. */
const DESCRIBED_DEFAULTS: Record<string, { text: string; holds: () => void }> = {
  SESSION_SECRET: {
    text: "generated in development",
    holds() {
      const config = loadConfig({ NODE_ENV: "development", DATA_DIR: dataDir }, () => {});
      expect(config.session.secrets).toEqual([expect.stringMatching(/^[0-9a-f]{64}$/)]);
      expect(() => loadConfig({ NODE_ENV: "production", DATA_DIR: dataDir }, () => {})).toThrow(
        /SESSION_SECRET is not set/,
      );
    },
  },
};

/** What particular values mean: said in both documents (`pattern`, never `never`) and true of the code. */
function MEANINGS_OF_VALUES(): Array<{
  name: string;
  says: string;
  pattern: RegExp;
  never?: RegExp;
  holds: () => void;
}> {
  const accepted = (name: string, value: string, mode: Mode = "development") =>
    !("refused" in (configWith(name, mode, { [name]: value }) as object));
  const word = (value: string) => new RegExp(`(^|[^\\w-])${value}([^\\w-]|$)`);
  return [
    ...SESSION_STORES.map((store) => ({
      name: "SESSION_STORE",
      says: `${store} is a store`,
      pattern: word(store),
      holds: () => expect(accepted("SESSION_STORE", store)).toBe(true),
    })),
    ...MODES.map((mode) => ({
      name: "NODE_ENV",
      says: `${mode} is a mode`,
      pattern: word(mode),
      holds: () =>
        expect(loadConfig({ NODE_ENV: mode, SESSION_SECRET: "s".repeat(MIN_SECRET_LENGTH) }, () => {}).mode).toBe(mode),
    })),
    {
      name: "SESSION_ROLLING_INTERVAL",
      says: "0 turns rolling expiry off",
      pattern: /\b0\b[^.]*\b(never|off)\b/,
      never: /every request/,
      holds() {
        expect(accepted("SESSION_ROLLING_INTERVAL", "0")).toBe(true);
        const lifetime = 3600_000;
        const expires = Date.now() + lifetime;
        // Long past any interval, an interval of 0 still never asks for a refresh; 1 second does.
        expect(rollingDue(expires, lifetime, 0, expires + 10 * lifetime)).toBe(false);
        expect(rollingDue(expires, lifetime, 1, expires - lifetime + 1000)).toBe(true);
      },
    },
    {
      name: "SESSION_SECRET",
      says: `production needs secrets of at least ${MIN_SECRET_LENGTH} characters`,
      pattern: new RegExp(`\\b${MIN_SECRET_LENGTH} characters`),
      holds() {
        expect(accepted("SESSION_SECRET", "s".repeat(MIN_SECRET_LENGTH), "production")).toBe(true);
        expect(accepted("SESSION_SECRET", "s".repeat(MIN_SECRET_LENGTH - 1), "production")).toBe(false);
      },
    },
  ];
}
