import { SessionInterruptedError, SessionStoreUnavailableError, type SessionTooLargeError } from "./errors";

/** An error the session layer answers itself, with a page saying what happened to the change. */
export type SessionFailure = SessionStoreUnavailableError | SessionTooLargeError | SessionInterruptedError;

/**
 * The answer when the session cannot be read or saved: 503 while the store is down (the client may
 * retry), 500 with the sizes when a session outgrew its store, 409 when another request signed the
 * session in or out while this one ran. Remix data requests get JSON marked as a thrown response, so
 * the route's ErrorBoundary shows it; documents get a small page.
 */
export function sessionErrorResponse(request: Request, error: SessionFailure): Response {
  const { status, title, detail } = describeFailure(error);
  const headers = new Headers({ "Cache-Control": "no-store" });
  if (status === 503) headers.set("Retry-After", "5");

  if (new URL(request.url).searchParams.has("_data")) {
    headers.set("Content-Type", "application/json; charset=utf-8");
    headers.set("X-Remix-Catch", "yes");
    return new Response(JSON.stringify({ error: title, detail }), { status, headers });
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

/** A small self-contained HTML page: a title, a paragraph, and optionally a link to try again. */
export function htmlPage(title: string, detail: string, options: { retry?: boolean } = {}): string {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title></head>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1e293b">
<h1 style="font-size:1.5rem">${escapeHtml(title)}</h1>
<p>${escapeHtml(detail)}</p>
${options.retry ? '<p><a href="">Try again</a></p>\n' : ""}</body>
</html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
