import { isRouteErrorResponse } from "@remix-run/react";

/**
 * Remix's `handleError`, for both server entries. Remix's default logs every error with its stack,
 * including the "No route matches URL" of a plain 404 (a probe for /wp-login.php, a stale link): noise
 * that looks like a failure, while the request log already shows the 404. A request the client gave
 * up on is not an error of the server either.
 */
export function handleError(error: unknown, { request }: { request: Request }): void {
  if (request.signal.aborted) return;
  if (isRouteErrorResponse(error) && error.status < 500) return;
  console.error(error);
}
