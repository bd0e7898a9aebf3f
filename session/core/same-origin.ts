import type { WithSession } from "./auto-commit";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Whose origin a state-changing request must come from. */
export interface OriginPolicy {
  /** The app's public origin (APP_ORIGIN), e.g. https://example.com; when set, Origin must equal it. */
  appOrigin?: string;
  /** Trust X-Forwarded-Host and X-Forwarded-Proto (TRUST_PROXY). */
  trustProxy?: boolean;
}

/**
 * Whether a state-changing request comes from another origin. Browsers send `Origin` on every
 * cross-origin POST/PUT/PATCH/DELETE (and "null" from sandboxed or privacy-sensitive contexts), and
 * it must equal the app's origin (scheme, host and port): `policy.appOrigin` when set, otherwise
 * the request's own, from the URL's scheme and the `Host` header (or, with `policy.trustProxy`, the
 * first `X-Forwarded-Proto` and `X-Forwarded-Host` values). The URL's host is not used: the Express
 * adapter takes its port from `X-Forwarded-Host` even when no proxy is trusted.
 *
 * A write without `Origin` passes unless the browser marks it `Sec-Fetch-Site: cross-site`: such
 * requests come from non-browser clients, which carry no ambient cookie to abuse.
 * Remix 2.17 checks this for document posts only, and answers a mismatch with a 500; this covers
 * data requests and resource routes too, as the session cookie rides on all of them.
 */
export function isCrossOriginWrite(request: Request, policy: OriginPolicy = {}): boolean {
  if (SAFE_METHODS.has(request.method.toUpperCase())) return false;
  const origin = request.headers.get("Origin");
  if (origin === null) return request.headers.get("Sec-Fetch-Site")?.trim().toLowerCase() === "cross-site";

  const expected = policy.appOrigin !== undefined ? parseOrigin(policy.appOrigin) : ownOrigin(request, policy);
  const actual = parseOrigin(origin);
  return expected === null || actual === null || actual !== expected;
}

/**
 * `withSession` behind the cross-origin guard: a POST/PUT/PATCH/DELETE from another origin (see
 * `isCrossOriginWrite`) gets a 403 before the session is read, so a forged cross-site request cannot
 * use the session cookie. The adapters apply it by default (their `crossOrigin` option); an app that
 * must take credentialed writes from another origin passes `crossOrigin: false` and brings its own
 * CSRF defence.
 */
export function refuseCrossOriginWrites<Data, FlashData>(
  withSession: WithSession<Data, FlashData>,
  policy: OriginPolicy = {},
): WithSession<Data, FlashData> {
  const guarded: WithSession<Data, FlashData> = async function sameOriginWrites(request, handler) {
    if (isCrossOriginWrite(request, policy)) return crossOriginResponse();
    return withSession(request, handler);
  };
  GUARDED.add(guarded);
  return guarded;
}

/**
 * What the adapters' `crossOrigin` option takes: the policy their guard judges by (`{}`, the
 * request's own origin, when left out), or `false` for an app that brings its own CSRF defence.
 */
export type CrossOriginOption = OriginPolicy | false;

// Lets the adapters tell a stack that already starts with the guard (the template's, with its
// APP_ORIGIN policy) from a bare core, so the first is not judged a second time by another policy.
const GUARDED = new WeakSet<object>();

/**
 * `withSession` as the adapters run it: behind `refuseCrossOriginWrites` with `option` as its policy,
 * unless `option` is `false` or `withSession` already is such a guard.
 */
export function guardedByDefault<Data, FlashData>(
  withSession: WithSession<Data, FlashData>,
  option: CrossOriginOption = {},
): WithSession<Data, FlashData> {
  if (option === false || GUARDED.has(withSession)) return withSession;
  return refuseCrossOriginWrites(withSession, option);
}

/** The answer to a refused cross-origin write: nothing was read, run or saved. */
function crossOriginResponse(): Response {
  return new Response("Cross-origin request refused: its Origin does not match this site.", {
    status: 403,
    headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" },
  });
}

/** The request's own origin, as the browser sees the site; null when the headers make none. */
function ownOrigin(request: Request, policy: OriginPolicy): string | null {
  const url = new URL(request.url);
  const forwardedProto = policy.trustProxy ? firstValue(request.headers.get("X-Forwarded-Proto")) : "";
  const forwardedHost = policy.trustProxy ? firstValue(request.headers.get("X-Forwarded-Host")) : "";
  const scheme = forwardedProto || url.protocol.slice(0, -1);
  // A browser always sends Host; only hand-made or HTTP/1.0 requests lack it.
  const host = forwardedHost || request.headers.get("Host")?.trim() || url.host;
  if (!/^https?$/i.test(scheme) || !host || /[\s/\\?#@]/.test(host)) return null;
  return parseOrigin(`${scheme}://${host}`);
}

/** `scheme://host[:port]` normalised (lower case, default port dropped), or null for anything but an http(s) origin. */
function parseOrigin(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  return url.origin;
}

/** The first of a comma-separated list of header values, "" when there is none. */
function firstValue(header: string | null): string {
  return header?.split(",")[0].trim() ?? "";
}
