import type { EntryContext } from "@remix-run/node";
import { RemixServer } from "@remix-run/react";
import { isbot } from "isbot";
import { renderToReadableStream } from "react-dom/server";

// As in entry.server.tsx (not imported from there: that module pulls in Node streams).
export const streamTimeout = 5_000;

export { handleError } from "./handle-error";

/**
 * The document renderer on Cloudflare Workers, where Node streams do not exist: the same page as
 * entry.server.tsx, rendered to a web ReadableStream. `npm run build:cloudflare` uses it in place of
 * entry.server.tsx (see scripts/build-cloudflare.mjs); the Express build never includes it.
 */
export default async function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
) {
  let shellRendered = false;
  const body = await renderToReadableStream(
    <RemixServer context={remixContext} url={request.url} abortDelay={streamTimeout} />,
    {
      // Deferred data that has not settled by then is rejected, so a stream never hangs.
      signal: AbortSignal.timeout(streamTimeout + 1_000),
      onError(error: unknown) {
        responseStatusCode = 500;
        // Errors after the shell are reported by React in the stream; log them here as well.
        if (shellRendered) console.error(error);
      },
    },
  );
  shellRendered = true;

  // Crawlers get the whole document at once; browsers get the shell as soon as it is ready.
  if (isbot(request.headers.get("user-agent"))) await body.allReady;

  responseHeaders.set("Content-Type", "text/html");
  return new Response(body, { headers: responseHeaders, status: responseStatusCode });
}
