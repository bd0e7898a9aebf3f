// Remix's own client decoder for single-fetch answers, so the tests read them the way the browser does.
import { decodeViaTurboStream } from "@remix-run/react/dist/single-fetch.js";
import { UNSAFE_SingleFetchRedirectSymbol } from "@remix-run/server-runtime";

import { buildFolders } from "../../server/build-folders";

/**
 * Remix data requests in the mode of the build under test: `?_data=<route id>` without single fetch,
 * `<path>.data` with it (REMIX_SINGLE_FETCH=on, see server/build-folders.ts).
 */

/** Whether the build under test has `future.v3_singleFetch` on. */
export const SINGLE_FETCH = buildFolders().singleFetch;

/** The URL Remix's client requests for `routeId`'s loader (GET) or action (any other method) at `path`. */
export function dataUrl(path: string, routeId: string, method = "GET"): string {
  const url = new URL(path, "http://x");
  if (!SINGLE_FETCH) {
    url.searchParams.set("_data", routeId);
  } else {
    url.pathname = url.pathname === "/" ? "/_root.data" : `${url.pathname.replace(/\/$/, "")}.data`;
    // A fetcher's load names its route; without it every loader of the page runs.
    if (method === "GET") url.searchParams.set("_routes", routeId);
  }
  return `${url.pathname}${url.search}`;
}

/** What a data response says, as the client understands it. */
export type DataAnswer =
  | { kind: "data"; value: unknown }
  | { kind: "redirect"; location: string; revalidate: boolean }
  | { kind: "error"; status: number; value: unknown };

interface SingleFetchRedirect {
  redirect: string;
  revalidate: boolean;
}

/** Reads a data response to `routeId`'s loader or action (whose request had `method`). */
export async function readData(response: Response, routeId: string, method = "GET"): Promise<DataAnswer> {
  if (!SINGLE_FETCH) {
    const location = response.headers.get("X-Remix-Redirect");
    if (location)
      return { kind: "redirect", location, revalidate: response.headers.get("X-Remix-Revalidate") === "yes" };
    const value = await response.json();
    if (response.headers.get("X-Remix-Catch") === "yes") return { kind: "error", status: response.status, value };
    return { kind: "data", value };
  }
  if (!response.body) throw new Error(`a ${response.status} single-fetch answer without a body`);
  const decoded = (await decodeViaTurboStream(response.body, globalThis as unknown as Window)).value as Record<
    string | symbol,
    unknown
  >;
  const redirect = (decoded[UNSAFE_SingleFetchRedirectSymbol] ?? (method === "GET" ? undefined : decoded)) as
    SingleFetchRedirect | undefined;
  if (redirect && typeof redirect.redirect === "string") {
    return { kind: "redirect", location: redirect.redirect, revalidate: redirect.revalidate };
  }
  const result = (method === "GET" ? decoded[routeId] : decoded) as { data?: unknown; error?: unknown } | undefined;
  if (!result) throw new Error(`no result for ${routeId} in ${JSON.stringify(decoded)}`);
  if ("error" in result) {
    const error = result.error as { status?: number; data?: unknown };
    return { kind: "error", status: error.status ?? 500, value: error.data };
  }
  return { kind: "data", value: result.data };
}
