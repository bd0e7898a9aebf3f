import type { SessionData } from "@remix-run/server-runtime";

import { SessionStoreUnavailableError, SessionTooLargeError } from "./errors";
import type { AutoSessionStorage } from "./storage";
import type { LateChangeListener, TrackedSession } from "./tracked-session";
import { sessionErrorResponse } from "./error-response";
import { crossOriginResponse, isCrossOriginWrite } from "./same-origin";

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
  /** Told about store failures that turned into a 503. */
  onStoreError?: (error: unknown) => void;
  /**
   * Let POST/PUT/PATCH/DELETE requests whose `Origin` is another site through. Off: they get a 403
   * before the session is read, so a forged cross-site request cannot use the session cookie.
   */
  allowCrossOriginWrites?: boolean;
}

/** Runs a request handler with a session that commits itself. */
export type WithSession<Data, FlashData> = (
  request: Request,
  handler: (context: SessionContext<Data, FlashData>) => Promise<Response>,
) => Promise<Response>;

/**
 * The auto-commit algorithm, independent of any server: refuse cross-site writes, read the session,
 * run the handler, save what changed, and append the cookie to the response before its headers go out.
 */
export function createAutoCommit<Data = SessionData, FlashData = Data>(
  options: AutoCommitOptions<Data, FlashData>,
): WithSession<Data, FlashData> {
  const { storage, commitOnServerError = false, onLateChange, onStoreError, allowCrossOriginWrites = false } = options;

  return async function withSession(request, handler) {
    if (!allowCrossOriginWrites && isCrossOriginWrite(request)) return crossOriginResponse();

    let session: TrackedSession<Data, FlashData>;
    try {
      session = await storage.getSession(request.headers.get("Cookie"));
    } catch (error) {
      return failed(request, error);
    }

    let response: Response;
    try {
      response = await handler({ session, sessionStorage: storage });
    } catch (error) {
      session.seal(onLateChange);
      throw error;
    }

    let setCookie: string | null = null;
    if (shouldSave(response)) {
      try {
        setCookie = await storage.save(session);
      } catch (error) {
        session.seal(onLateChange);
        await response.body?.cancel().catch(() => {});
        return failed(request, error);
      }
    }
    session.seal(onLateChange);

    return setCookie ? appendSessionCookie(request, response, setCookie) : response;
  };

  function shouldSave(response: Response): boolean {
    // A cookie the app set by hand (commitSession/destroySession) wins over ours.
    if (storage.cookie.isSetBy(response.headers.getSetCookie())) return false;
    return response.status < 500 || commitOnServerError;
  }

  function failed(request: Request, error: unknown): Response {
    if (error instanceof SessionStoreUnavailableError || error instanceof SessionTooLargeError) {
      onStoreError?.(error);
      return sessionErrorResponse(request, error);
    }
    throw error;
  }
}

function appendSessionCookie(request: Request, response: Response, setCookie: string): Response {
  const headers = new Headers(response.headers);
  headers.append("Set-Cookie", setCookie);

  // A shared cache must neither serve this response to another browser nor store its cookie.
  const vary = headers.get("Vary");
  if (!vary) headers.set("Vary", "Cookie");
  else if (!/(^|,)\s*(cookie|\*)\s*(,|$)/i.test(vary)) headers.set("Vary", `${vary}, Cookie`);
  headers.set("Cache-Control", privateCacheControl(headers.get("Cache-Control")));

  // Remix's client revalidates after a data redirect only if the redirect set a cookie, and it
  // checks that before this cookie was added.
  if (headers.has("X-Remix-Redirect") && new URL(request.url).searchParams.has("_data")) {
    headers.set("X-Remix-Revalidate", "yes");
  }

  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}

/** The app's Cache-Control with anything that lets a shared cache store the response replaced by `private`. */
function privateCacheControl(value: string | null): string {
  if (!value) return "private, no-cache";
  const directives = value
    .split(",")
    .map((directive) => directive.trim())
    .filter((directive) => directive && !/^(public|s-maxage=.*|private)$/i.test(directive));
  if (directives.some((directive) => directive.toLowerCase() === "no-store")) return directives.join(", ");
  return ["private", ...directives].join(", ");
}
