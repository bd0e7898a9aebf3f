import type { SessionData } from "@remix-run/server-runtime";

import { privateCacheControl } from "./cache-control";
import { SessionInterruptedError, SessionStoreUnavailableError, SessionTooLargeError } from "./errors";
import { sessionErrorResponse } from "./error-response";
import { dataRequestKind, withSingleFetchRevalidation } from "./single-fetch";
import type { AutoSessionStorage } from "./storage";
import { trackingOf, type LateChangeListener, type TrackedSession } from "./tracked-session";

/** What every loader and action receives on `context`. */
export interface SessionContext<Data = SessionData, FlashData = Data> {
  /** The request's session; changes are committed after the response is produced. */
  session: TrackedSession<Data, FlashData>;
  /** The storage behind it, for libraries and hand-written commits. */
  sessionStorage: AutoSessionStorage<Data, FlashData>;
}

export interface AutoCommitOptions<Data, FlashData> {
  /** Where sessions are read from and saved to. */
  storage: AutoSessionStorage<Data, FlashData>;
  /** Also commit when the response status is 500 or above. Off: a failed request's changes are dropped. */
  commitOnServerError?: boolean;
  /** Told the key of every change made after the commit (inside deferred data, say); those are lost. */
  onLateChange?: LateChangeListener;
  /** Told the keys a request changed but could not save because the app committed a cookie by hand. */
  onDroppedChanges?: (keys: string[]) => void;
  /** Told about store failures that turned into an error page. */
  onStoreError?: (error: unknown) => void;
  /**
   * Called when a request's session was signed out or moved to a new id by another request while it
   * ran, so nothing it changed was saved. For GET and HEAD the response goes out as produced, without
   * the session cookie; for other methods it becomes a 409 page (JSON for Remix data requests). Return
   * a Response to answer with that instead.
   */
  onInterrupted?: (request: Request) => Response | void;
}

/** Runs a request handler with a session that commits itself. */
export type WithSession<Data, FlashData> = (
  request: Request,
  handler: (context: SessionContext<Data, FlashData>) => Promise<Response>,
) => Promise<Response>;

const SAFE_METHODS = new Set(["GET", "HEAD"]);

/**
 * The auto-commit algorithm, independent of any server: read the session, run the handler, save what
 * changed, and append the cookie to the response before its headers go out. Policies around it (the
 * cross-origin guard, `refuseCrossOriginWrites`) wrap the `WithSession` it returns.
 */
export function createAutoCommit<Data = SessionData, FlashData = Data>(
  options: AutoCommitOptions<Data, FlashData>,
): WithSession<Data, FlashData> {
  const { storage, commitOnServerError = false, onLateChange, onDroppedChanges, onStoreError, onInterrupted } = options;

  return async function withSession(request, handler) {
    let session: TrackedSession<Data, FlashData>;
    try {
      session = await storage.getSession(request.headers.get("Cookie"));
    } catch (error) {
      return failed(request, error);
    }
    const tracking = trackingOf(session);

    let response: Response;
    try {
      response = await handler({ session, sessionStorage: storage });
    } catch (error) {
      tracking.seal(onLateChange);
      throw error;
    }

    // Read before the save, which starts the changes afresh.
    const changed = tracking.modified;
    // A cookie the app set by hand (commitSession/destroySession) wins over ours.
    const handCookie = storage.cookie.findIn(response.headers.getSetCookie());
    let setCookie: string | null;
    try {
      setCookie = await save(session, response, handCookie);
    } catch (error) {
      tracking.seal(onLateChange);
      if (error instanceof SessionInterruptedError && SAFE_METHODS.has(request.method)) {
        // A cookie committed by hand earlier in the request names the session that is gone.
        return onInterrupted?.(request) ?? withoutSessionCookie(response, storage.cookie.name);
      }
      await response.body?.cancel().catch(() => {});
      return failed(request, error);
    }
    tracking.seal(onLateChange);

    // A hand-written commit inside the route lost the same race (and threw there).
    if (tracking.interrupted) {
      await response.body?.cancel().catch(() => {});
      return failed(request, new SessionInterruptedError());
    }
    const answer = setCookie
      ? withSessionCookie(response, setCookie)
      : handCookie !== null
        ? withSessionCookie(response)
        : response;
    return changed ? revalidateAfterRedirect(request, answer) : answer;
  };

  /** Saves the request's changes; the Set-Cookie value to append, or null. */
  async function save(
    session: TrackedSession<Data, FlashData>,
    response: Response,
    handCookie: string | null,
  ): Promise<string | null> {
    if (response.status >= 500 && !commitOnServerError) return null;
    if (handCookie === null) return storage.save(session);
    const dropped = await storage.saveBeside(session, handCookie);
    if (dropped.length > 0) onDroppedChanges?.(dropped);
    return null;
  }

  function failed(request: Request, error: unknown): Response {
    if (error instanceof SessionInterruptedError) {
      return (!SAFE_METHODS.has(request.method) && onInterrupted?.(request)) || sessionErrorResponse(request, error);
    }
    if (error instanceof SessionStoreUnavailableError || error instanceof SessionTooLargeError) {
      onStoreError?.(error);
      return sessionErrorResponse(request, error);
    }
    throw error;
  }
}

const CDN_CACHE_HEADERS = ["CDN-Cache-Control", "Cloudflare-CDN-Cache-Control", "Surrogate-Control"];

/** The response without any `Set-Cookie` for the session cookie `name`. */
function withoutSessionCookie(response: Response, name: string): Response {
  const cookies = response.headers.getSetCookie();
  const kept = cookies.filter((header) => !header.trimStart().startsWith(`${name}=`));
  if (kept.length === cookies.length) return response;
  const headers = new Headers(response.headers);
  headers.delete("Set-Cookie");
  for (const header of kept) headers.append("Set-Cookie", header);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/**
 * The response with the session cookie appended (when given) and made safe for shared caches: a
 * response that carries someone's session cookie, whoever set it, must be neither stored nor served
 * to another browser.
 */
function withSessionCookie(response: Response, setCookie?: string): Response {
  const headers = new Headers(response.headers);
  if (setCookie) headers.append("Set-Cookie", setCookie);

  const vary = headers.get("Vary");
  if (!vary) headers.set("Vary", "Cookie");
  else if (!/(^|,)\s*(cookie|\*)\s*(,|$)/i.test(vary)) headers.set("Vary", `${vary}, Cookie`);
  headers.set("Cache-Control", privateCacheControl(headers.get("Cache-Control")));
  // Headers that address shared caches alone would let a CDN store the cookie regardless.
  for (const name of CDN_CACHE_HEADERS) headers.delete(name);

  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}

/**
 * A data redirect of a request that changed the session, marked so that Remix's client reloads the
 * data of every route on the page. Remix marks one itself only when the redirect set a cookie, and it
 * looks before the session is saved; a write that keeps the session's id sends no cookie at all. A
 * request of no known data kind is marked on any 3xx with a `Location`.
 */
async function revalidateAfterRedirect(request: Request, response: Response): Promise<Response> {
  // Every redirect Remix answers carries one of these; most responses are not redirects.
  if (!response.headers.has("Location") && !response.headers.has("X-Remix-Redirect")) return response;
  const kind = dataRequestKind(request);
  if (kind === "single-fetch") {
    const revalidating = await withSingleFetchRevalidation(response);
    if (revalidating) return revalidating;
  }
  const marked =
    kind === "data"
      ? response.headers.has("X-Remix-Redirect")
      : // React Router 7 hands middleware its route's plain 3xx, of a request rebuilt without `.data`
        // (or with it, under future.v8_passThroughRequests), and reads this header when it turns that
        // into the client's redirect; a browser following a document redirect ignores it.
        isRedirect(response);
  if (!marked) return response;
  const headers = new Headers(response.headers);
  headers.set("X-Remix-Revalidate", "yes");
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

function isRedirect(response: Response): boolean {
  return response.status >= 300 && response.status < 400 && response.headers.has("Location");
}
