import { Browser } from "../../harness/browser";

// The Express/Cloudflare parity check: one browser script, replayed on each server, whose
// transcripts must be equal (tests/cloudflare/parity.test.ts, tests/workers/parity.test.ts).

/** One request of the script: what a browser does, in order, with one cookie jar. */
export type Step = [method: "GET" | "POST", path: string, form?: Record<string, string>];

// The demo's session behaviour end to end: lab routes, a flash, a failure, a hand-written commit,
// caching headers, sign in and sign out.
const SCRIPT: Step[] = [
  ["GET", "/lab/session"],
  ["GET", "/lab/ping"],
  ["GET", "/lab/mark/alpha"],
  ["GET", `/lab/mark/${"k".repeat(201)}`],
  ["GET", "/lab/session"],
  ["GET", "/lab/probe"],
  ["POST", "/lab/probe", {}],
  ["POST", "/preferences", { theme: "dark", density: "compact" }],
  ["GET", "/lab/session"],
  ["GET", "/?_data=root"],
  ["GET", "/?_data=root"],
  ["GET", "/lab/fail?key=x"],
  ["GET", "/lab/session"],
  ["GET", "/lab/cached?cc=public,%20max-age=60"],
  ["GET", "/lab/bounce?_data=routes/lab.bounce"],
  ["GET", "/lab/hand-commit"],
  ["GET", "/lab/session"],
  ["POST", "/login", { name: "" }],
  ["POST", "/login", { name: "Ada" }],
  ["GET", "/lab/session"],
  ["GET", "/library/fiction?_data=routes/library"],
  ["POST", "/logout", {}],
  ["GET", "/lab/session"],
];

/** Replays the script in one cookie jar. What must be equal on both servers: status, the headers the commit rules govern, the JSON body. */
export async function runScript(url: string) {
  const browser = new Browser(url);
  const transcript = [];
  for (const [method, path, form] of SCRIPT) {
    const response = await browser.fetch(path, form ? { method, body: new URLSearchParams(form) } : { method });
    const type = response.headers.get("Content-Type") ?? "";
    transcript.push({
      request: `${method} ${path.slice(0, 60)}`,
      status: response.status,
      location: response.headers.get("Location") ?? response.headers.get("X-Remix-Redirect"),
      revalidate: response.headers.get("X-Remix-Revalidate"),
      vary: withoutCompression(response.headers.get("Vary")),
      cacheControl: response.headers.get("Cache-Control"),
      // The cookie's attributes and whether it sets or clears; its value differs by signature and id.
      cookies: response.headers.getSetCookie().map((cookie) => cookie.replace(/^([^=]+)=[^;]+/, "$1=<value>")),
      body: type.startsWith("application/json")
        ? withoutVolatile(await response.json())
        : (await response.text(), null),
    });
  }
  return transcript;
}

/** Express compresses (and says so in Vary); Cloudflare compresses at its edge, outside the Function. */
function withoutCompression(vary: string | null): string | null {
  const tokens = (vary ?? "")
    .split(",")
    .map((token) => token.trim())
    .filter((token) => token && token !== "Accept-Encoding");
  return tokens.length > 0 ? tokens.join(", ") : null;
}

/** Timestamps and session ids differ between runs; their shape does not. */
function withoutVolatile(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value), (key, item) => {
    if (typeof item !== "string") return item;
    if (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(item)) return "<time>";
    return key === "sessionId" ? "<id>" : item;
  });
}
