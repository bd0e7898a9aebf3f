import { maskUrlCredentials } from "../session/core/mask-url";

// Reading settings from the environment (process.env on Node, the bindings on Cloudflare): the parsers
// both runtimes share, so each setting is named, defaulted and refused the same way. No Node import,
// so it bundles for Workers.

/** Which build runs: only production requires a secret and Secure cookies, only development warns. */
export type Mode = "production" | "development" | "test";

/** Settings as the environment or the Cloudflare bindings hold them. */
export type Settings = Record<string, unknown>;

/** A setting or binding is missing or wrong; the message says which and what to set. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** A setting that must be one of `allowed`, or `fallback` when unset. */
export function oneOf<T extends string>(
  env: Settings,
  name: string,
  allowed: readonly T[],
  fallback: T,
  where = "",
): T {
  const raw = text(env, name);
  if (raw === "") return fallback;
  if (!allowed.includes(raw as T)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(", ")}${where}; got "${raw}".`);
  }
  return raw as T;
}

/** A whole-number setting within `range`, or `fallback` when unset. */
export function integer(env: Settings, name: string, fallback: number, range: { min: number; max?: number }): number {
  const raw = text(env, name);
  if (raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < range.min || (range.max !== undefined && value > range.max)) {
    const bound = range.max === undefined ? `at least ${range.min}` : `between ${range.min} and ${range.max}`;
    throw new ConfigError(`${name} must be a whole number ${bound}; got "${raw}".`);
  }
  return value;
}

/** A true/false setting, or `fallback` when unset. */
export function boolean(env: Settings, name: string, fallback: boolean): boolean {
  const raw = text(env, name);
  if (raw === "") return fallback;
  if (["1", "true", "yes", "on"].includes(raw.toLowerCase())) return true;
  if (["0", "false", "no", "off"].includes(raw.toLowerCase())) return false;
  throw new ConfigError(`${name} must be true or false; got "${raw}".`);
}

/**
 * An http(s) origin (`scheme://host[:port]`, no path, query, fragment or credentials), normalised as
 * browsers send it in `Origin`; undefined when unset.
 */
export function origin(env: Settings, name: string): string | undefined {
  const raw = text(env, name).trim();
  if (raw === "") return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    // Reported below.
  }
  const shaped = /^https?:\/\/[^/?#@\\\s]+\/?$/i.test(raw);
  if (!url || !shaped || (url.protocol !== "http:" && url.protocol !== "https:") || !url.hostname) {
    throw new ConfigError(
      `${name} must be the app's public origin, http:// or https:// with a host and an optional port but no path, as browsers send it in the Origin header (for example "https://example.com"); got "${maskUrlCredentials(raw)}".`,
    );
  }
  return url.origin;
}

/** A text setting, "" when unset. */
export function text(env: Settings, name: string): string {
  const value = env[name];
  return typeof value === "string" ? value : "";
}
