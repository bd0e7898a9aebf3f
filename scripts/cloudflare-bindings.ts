/** The settings a Cloudflare preview takes from the environment and hands the app as bindings. */
export const PREVIEW_BINDINGS = [
  "ENVIRONMENT",
  "LAB_ROUTES",
  "SESSION_STORE",
  "SESSION_SECRET",
  "SESSION_COOKIE_NAME",
  "SESSION_MAX_AGE",
  "SESSION_BROWSER_MAX_AGE",
  "SESSION_ROLLING_INTERVAL",
  "SESSION_MAX_BYTES",
  "SESSION_COMMIT_ON_ERROR",
  "APP_ORIGIN",
  "TRUST_PROXY",
] as const;

/**
 * The bindings of a local preview: development unless ENVIRONMENT says otherwise (no secret needed,
 * cookies without Secure work over http), plus each of `PREVIEW_BINDINGS` the environment sets.
 */
export function previewBindings(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const bindings: Record<string, string> = { ENVIRONMENT: "development" };
  for (const name of PREVIEW_BINDINGS) {
    const value = env[name];
    if (value !== undefined && value !== "") bindings[name] = value;
  }
  return bindings;
}
