import { SessionInterruptedError, SessionStoreUnavailableError, type SessionTooLargeError } from "./errors";
import { htmlPage } from "./html-page";
import { dataRequestKind, singleFetchErrorBody } from "./single-fetch";

/** An error the session layer answers itself, with a page saying what happened to the change. */
export type SessionFailure = SessionStoreUnavailableError | SessionTooLargeError | SessionInterruptedError;

/**
 * The answer when the session cannot be read or saved: 503 while the store is down (the client may
 * retry), 500 with the sizes when a session outgrew its store, 409 when another request signed the
 * session in or out while this one ran. Remix data requests get a thrown response (JSON marked with
 * X-Remix-Catch for `?_data`, turbo-stream for single fetch's `.data`), so the route's ErrorBoundary
 * shows it; documents get a small page.
 */
export function sessionErrorResponse(request: Request, error: SessionFailure): Response {
  const { status, title, detail } = describeFailure(error);
  const headers = new Headers({ "Cache-Control": "no-store" });
  if (status === 503) headers.set("Retry-After", "5");

  const dataRequest = dataRequestKind(request);
  if (dataRequest === "data") {
    headers.set("Content-Type", "application/json; charset=utf-8");
    headers.set("X-Remix-Catch", "yes");
    return new Response(JSON.stringify({ error: title, detail }), { status, headers });
  }
  if (dataRequest === "single-fetch") {
    headers.set("Content-Type", "text/x-script");
    return new Response(singleFetchErrorBody(request, status, { error: title, detail }), { status, headers });
  }

  headers.set("Content-Type", "text/html; charset=utf-8");
  return new Response(htmlPage(title, detail, { retry: true }), { status, headers });
}

function describeFailure(error: SessionFailure): { status: number; title: string; detail: string } {
  if (error instanceof SessionInterruptedError) {
    return {
      status: 409,
      title: "Your session changed while this request ran",
      detail:
        "You signed in or out in another tab or window while this request was on its way, so nothing it changed was saved. Reload the page and try again.",
    };
  }
  if (error instanceof SessionStoreUnavailableError) {
    return {
      status: 503,
      title: "Sessions are unavailable right now",
      detail: error.outcomeUnknown
        ? "The session store did not answer in time, so the change may or may not have been saved. Please check and try again in a moment."
        : "The session store cannot be reached. Nothing was saved. Please try again in a moment.",
    };
  }
  return { status: 500, title: "The session is too large", detail: `${error.message}. The change was not saved.` };
}
