import type { Lifetime } from "./store";

// How long a session lives, for both storages: the cap browsers put on a cookie, the default for a
// browser-session cookie, the lifetime a hand commit's options name, and when rolling expiry is due.

/** One day: how long a browser-session ("Keep me signed in" off) session outlives its last use by default. */
export const DEFAULT_BROWSER_LIFETIME = 24 * 60 * 60;

/** Browsers cap a cookie's lifetime at 400 days (RFC 6265bis); a longer one is stored as this. */
export const MAX_LIFETIME = 400 * 24 * 60 * 60;

/** The milliseconds a lifetime lasts: `fallback` seconds for the default, `browser` for "browser", at most 400 days. */
export function lifetimeMs(lifetime: Lifetime | null, fallback: number, browser: number): number {
  const seconds = lifetime === null ? fallback : lifetime === "browser" ? browser : lifetime;
  return 1000 * Math.min(seconds, MAX_LIFETIME);
}

/**
 * Whether an unchanged session's expiry (`expires`, Unix ms) is due to be pushed back: once an
 * interval has passed since it was set, or half its lifetime for lifetimes shorter than two intervals,
 * so an active session never runs out between refreshes. An interval of 0 turns this off.
 */
export function rollingDue(expires: number | undefined, lifetime: number, interval: number, now: number): boolean {
  if (!interval || expires === undefined) return false;
  const every = Math.min(interval * 1000, lifetime / 2);
  // The expiry was last set at (expires - lifetime).
  return now - (expires - lifetime) >= every;
}

/** The lifetime Remix's `maxAge`/`expires` serialize options ask for, or null when they name none. */
export function lifetimeFromOptions(
  options: { maxAge?: number; expires?: Date } | undefined,
  now: () => number,
): Lifetime | null {
  if (options?.maxAge !== undefined) return Math.max(0, Math.floor(options.maxAge));
  if (options?.expires) return Math.max(0, Math.ceil((options.expires.getTime() - now()) / 1000));
  return null;
}
