/**
 * What the session layer must know of Remix's single fetch (`future.v3_singleFetch`, the default of
 * React Router 7): its data requests end in `.data` instead of carrying `?_data`, and its answers are
 * turbo-stream, the format Remix 2.17's client decodes with turbo-stream 2.4. That format is one JSON
 * array per line: the first entry is the value, objects map `_<index of key>` to the index of their
 * value, and a plugin's value is `[name, ...indexes]`. A redirect travels as a 202 whose body says
 * where to go and whether to revalidate.
 */

/** Which kind of Remix data request `request` is: `?_data` ("data"), single fetch's `.data` ("single-fetch"), or none. */
export function dataRequestKind(request: Request): "data" | "single-fetch" | null {
  const url = new URL(request.url);
  if (url.searchParams.has("_data")) return "data";
  return url.pathname.endsWith(".data") ? "single-fetch" : null;
}

/** The status Remix 2.17 answers a single-fetch redirect with (a 3xx would be followed by `fetch`). */
export const SINGLE_FETCH_REDIRECT_STATUS = 202;

/** A value the encoder writes as a turbo-stream plugin entry: `[name, ...values]`. */
class PluginValue {
  constructor(
    readonly name: string,
    readonly values: Encodable[],
  ) {}
}

type Encodable = string | number | boolean | PluginValue | { [key: string]: Encodable };

/** One turbo-stream line holding `value`, without promises or shared references. */
function encodeLine(value: Encodable): string {
  const entries: unknown[] = [];
  const add = (item: Encodable): number => {
    const index = entries.length;
    entries.push(null);
    if (item instanceof PluginValue) {
      entries[index] = [item.name, ...item.values.map(add)];
    } else if (typeof item === "object") {
      const object: Record<string, number> = {};
      for (const [key, member] of Object.entries(item)) object[`_${add(key)}`] = add(member);
      entries[index] = object;
    } else {
      entries[index] = item;
    }
    return index;
  };
  add(value);
  return `${JSON.stringify(entries)}\n`;
}

/**
 * The body of a single-fetch answer in which the request's routes throw a response with `status` and
 * `data`, as Remix encodes a thrown `json(data, { status })`: the routes' ErrorBoundary gets it from
 * `useRouteError()`. An action answers for its one route; a loader request for the routes it named
 * (`_routes`, as a fetcher's load does), otherwise for the root, whose boundary then shows it.
 */
export function singleFetchErrorBody(request: Request, status: number, data: Record<string, string>): string {
  const error = new PluginValue("ErrorResponse", [data, status, ""]);
  if (request.method !== "GET" && request.method !== "HEAD") return encodeLine({ error });
  const routes = new URL(request.url).searchParams.get("_routes")?.split(",").filter(Boolean) ?? ["root"];
  return encodeLine(Object.fromEntries(routes.map((route) => [route, { error }])));
}

/**
 * `response` with its single-fetch redirect marked for revalidation, or null when it is not a
 * single-fetch redirect in the format this module knows. Remix decides `revalidate` from the
 * redirect's own `Set-Cookie` before the session layer saves anything, so a loader that changed the
 * session and redirected would leave the routes the browser keeps showing the old session.
 */
export async function withSingleFetchRevalidation(response: Response): Promise<Response | null> {
  if (response.status !== SINGLE_FETCH_REDIRECT_STATUS || !response.headers.has("Location") || !response.body) {
    return null;
  }
  const text = await response.text();
  const headers = new Headers(response.headers);
  // The body grows by a few bytes.
  headers.delete("Content-Length");
  return new Response(markRevalidate(text) ?? text, {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}

/** The redirect line `text` with `revalidate` true, or null if it is not one. */
function markRevalidate(text: string): string | null {
  if (!text.endsWith("\n") || text.indexOf("\n") !== text.length - 1) return null;
  let entries: unknown[];
  try {
    entries = JSON.parse(text) as unknown[];
  } catch {
    return null;
  }
  if (!Array.isArray(entries)) return null;
  // A loader request wraps the redirect in the "SingleFetchRedirect" plugin; an action's is bare.
  const root = entries[0];
  const redirectIndex =
    Array.isArray(root) && root[0] === "SingleFetchRedirect" && typeof root[1] === "number" ? root[1] : 0;
  const redirect = entries[redirectIndex];
  if (!redirect || typeof redirect !== "object" || Array.isArray(redirect)) return null;
  const fields = redirect as Record<string, number>;
  const keyOf = (name: string) => Object.keys(fields).find((key) => entries[Number(key.slice(1))] === name);
  const revalidate = keyOf("revalidate");
  if (keyOf("redirect") === undefined || revalidate === undefined) return null;
  // `false` may be shared with other fields (reload, replace): point this one at a new `true`.
  fields[revalidate] = entries.length;
  entries.push(true);
  return `${JSON.stringify(entries)}\n`;
}
