const USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36";

/**
 * A cookie jar for one browser, reduced to what these tests need: it sends the session cookie it
 * holds and keeps whatever `Set-Cookie` the server answers with, the way a browser does.
 */
export class Browser {
  #base: string;
  #cookies = new Map<string, string>();

  constructor(base: string) {
    this.#base = base;
  }

  /** The `Cookie` header this browser sends now. */
  get cookieHeader(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  /** The value of one cookie, or undefined. */
  cookie(name: string): string | undefined {
    return this.#cookies.get(name);
  }

  /** Requests `path` with this browser's cookies and stores the cookies of the answer. */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    // A browser's user agent: bots get fully rendered pages, browsers get streams.
    if (!headers.has("User-Agent")) headers.set("User-Agent", USER_AGENT);
    if (this.#cookies.size > 0) headers.set("Cookie", this.cookieHeader);
    if (init.method && init.method !== "GET") headers.set("Origin", this.#base);
    const response = await fetch(new URL(path, this.#base), { redirect: "manual", ...init, headers });
    this.store(response);
    return response;
  }

  /** Keeps the cookies a response sets, and forgets those it expires. */
  store(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair, ...attributes] = header.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((attribute) => {
        const [key, val] = attribute.split("=").map((part) => part.trim().toLowerCase());
        return (key === "max-age" && Number(val) <= 0) || (key === "expires" && Date.parse(val) <= Date.now());
      });
      if (expired || value === "") this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  /** The session's data as `/lab/session` reports it. */
  async sessionData(): Promise<Record<string, unknown>> {
    return (await this.fetch("/lab/session")).json();
  }
}

/** The `Set-Cookie` values of a response that set `name`. */
export function setCookiesFor(response: Response, name = "__session"): string[] {
  return response.headers.getSetCookie().filter((header) => header.startsWith(`${name}=`));
}
