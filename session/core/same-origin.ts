const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Whether a state-changing request comes from another origin. Browsers send `Origin` on every
 * cross-origin POST/PUT/PATCH/DELETE (and "null" from sandboxed or privacy-sensitive contexts);
 * requests without it come from non-browser clients, which carry no ambient cookie to abuse.
 * Remix 2.17 checks this for document posts only, and answers a mismatch with a 500; this covers
 * data requests and resource routes too, as the session cookie rides on all of them.
 */
export function isCrossOriginWrite(request: Request): boolean {
  if (SAFE_METHODS.has(request.method)) return false;
  const origin = request.headers.get("Origin");
  if (origin === null) return false;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return true;
  }
  const host = request.headers.get("X-Forwarded-Host")?.split(",")[0].trim() || new URL(request.url).host;
  return originHost !== host;
}

/** The answer to a refused cross-origin write: nothing was read, run or saved. */
export function crossOriginResponse(): Response {
  return new Response("Cross-origin request refused: its Origin does not match this site.", {
    status: 403,
    headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" },
  });
}
