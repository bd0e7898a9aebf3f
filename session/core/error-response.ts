import { SessionStoreUnavailableError, type SessionTooLargeError } from "./errors";

/**
 * The answer when the session cannot be read or saved: 503 while the store is down (the client may
 * retry), 500 with the sizes when a session outgrew its store. Remix data requests get JSON marked
 * as a thrown response, so the route's ErrorBoundary shows it; documents get a small page.
 */
export function sessionErrorResponse(
  request: Request,
  error: SessionStoreUnavailableError | SessionTooLargeError,
): Response {
  const unavailable = error instanceof SessionStoreUnavailableError;
  const status = unavailable ? 503 : 500;
  const title = unavailable ? "Sessions are unavailable right now" : "The session is too large";
  const detail = unavailable
    ? "The session store cannot be reached. Nothing was saved. Please try again in a moment."
    : `${error.message}. The change was not saved.`;
  const headers = new Headers({ "Cache-Control": "no-store" });
  if (unavailable) headers.set("Retry-After", "5");

  if (new URL(request.url).searchParams.has("_data")) {
    headers.set("Content-Type", "application/json; charset=utf-8");
    headers.set("X-Remix-Catch", "yes");
    return new Response(JSON.stringify({ error: title, detail }), { status, headers });
  }

  headers.set("Content-Type", "text/html; charset=utf-8");
  const page = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title}</title></head>
<body style="font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1e293b">
<h1 style="font-size:1.5rem">${title}</h1>
<p>${escapeHtml(detail)}</p>
<p><a href="">Try again</a></p>
</body>
</html>`;
  return new Response(page, { status, headers });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
