import { describe, expect, it } from "vitest";

import type { SessionContext, WithSession } from "./auto-commit";
import { guardedByDefault, isCrossOriginWrite, refuseCrossOriginWrites, type OriginPolicy } from "./same-origin";

/**
 * A request as the Express adapter hands it over: the URL's scheme from `req.protocol`, and the
 * headers as the client sent them (`Host` included).
 */
const request = (
  method: string,
  headers: Record<string, string> = {},
  url = "http://shop.example:3000/cart?_data=routes%2Fcart",
) => new Request(url, { method, headers: { Host: "shop.example:3000", ...headers } });

const refused = (method: string, headers: Record<string, string>, policy?: OriginPolicy, url?: string) =>
  isCrossOriginWrite(request(method, headers, url), policy);

describe("isCrossOriginWrite", () => {
  it("never refuses GET, HEAD or OPTIONS, whatever their Origin and Sec-Fetch-Site", () => {
    for (const method of ["GET", "HEAD", "OPTIONS"]) {
      const cases: Record<string, string>[] = [
        { Origin: "https://evil.example" },
        { Origin: "null" },
        { "Sec-Fetch-Site": "cross-site" },
      ];
      for (const headers of cases) {
        expect(refused(method, headers), `${method} ${JSON.stringify(headers)}`).toBe(false);
        expect(refused(method, headers, { appOrigin: "https://shop.example" })).toBe(false);
      }
    }
  });

  it("lets writes from this origin through: scheme, Host and port, default ports and case normalised", () => {
    expect(refused("POST", { Origin: "http://shop.example:3000" })).toBe(false);
    expect(refused("PATCH", { Origin: "http://SHOP.Example:3000" })).toBe(false);
    expect(
      refused("PUT", { Host: "shop.example:80", Origin: "http://shop.example" }, {}, "http://shop.example/cart"),
    ).toBe(false);
    expect(
      refused("PUT", { Host: "shop.example", Origin: "http://shop.example:80" }, {}, "http://shop.example/cart"),
    ).toBe(false);
    expect(
      refused("DELETE", { Host: "shop.example", Origin: "https://shop.example:443" }, {}, "https://shop.example/cart"),
    ).toBe(false);
  });

  it("refuses writes from another host, port or scheme, an opaque origin or a malformed one", () => {
    for (const origin of [
      "https://evil.example",
      "http://shop.example:4000",
      "http://shop.example",
      "https://shop.example:3000",
      "null",
      "not a url",
      "chrome-extension://abcdef",
    ]) {
      expect(refused("POST", { Origin: origin }), origin).toBe(true);
    }
  });

  it("compares the scheme: https://host is not the origin of an http site", () => {
    expect(
      refused("POST", { Host: "shop.example", Origin: "https://shop.example" }, {}, "http://shop.example/cart"),
    ).toBe(true);
    expect(
      refused("POST", { Host: "shop.example", Origin: "http://shop.example" }, {}, "https://shop.example/cart"),
    ).toBe(true);
  });

  it("takes the host from the Host header, not from the URL (which Express builds with X-Forwarded-Host's port)", () => {
    // @remix-run/express: hostname from Host (no trust proxy), port from X-Forwarded-Host.
    const url = "http://shop.example:4000/cart";
    const headers = { "X-Forwarded-Host": "shop.example:4000" };
    expect(refused("POST", { ...headers, Origin: "http://shop.example:4000" }, {}, url)).toBe(true);
    expect(refused("POST", { ...headers, Origin: "http://shop.example:3000" }, {}, url)).toBe(false);
  });

  it("ignores X-Forwarded-Host and X-Forwarded-Proto unless the proxy is trusted", () => {
    const forwarded = { "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https" };
    expect(refused("POST", { ...forwarded, Origin: "https://evil.example" })).toBe(true);
    expect(refused("POST", { ...forwarded, Origin: "http://shop.example:3000" })).toBe(false);
  });

  it("with trustProxy, compares with the first X-Forwarded-Proto and X-Forwarded-Host values", () => {
    const policy = { trustProxy: true };
    const forwarded = { "X-Forwarded-Host": "www.shop.example, internal:3000", "X-Forwarded-Proto": "https, http" };
    expect(refused("POST", { ...forwarded, Origin: "https://www.shop.example" }, policy)).toBe(false);
    expect(refused("POST", { ...forwarded, Origin: "https://WWW.shop.example:443" }, policy)).toBe(false);
    expect(refused("POST", { ...forwarded, Origin: "http://www.shop.example" }, policy)).toBe(true);
    expect(refused("POST", { ...forwarded, Origin: "http://shop.example:3000" }, policy)).toBe(true);
    expect(refused("POST", { ...forwarded, Origin: "https://internal:3000" }, policy)).toBe(true);
    // Only the host forwarded: the scheme is the request's own, and the other way round.
    expect(refused("POST", { "X-Forwarded-Host": "www.shop.example", Origin: "http://www.shop.example" }, policy)).toBe(
      false,
    );
    expect(refused("POST", { "X-Forwarded-Proto": "https", Origin: "https://shop.example:3000" }, policy)).toBe(false);
    // Nothing forwarded: Host and the URL's scheme, as without a proxy.
    expect(refused("POST", { Origin: "http://shop.example:3000" }, policy)).toBe(false);
    expect(refused("POST", { Origin: "https://evil.example" }, policy)).toBe(true);
  });

  it("with appOrigin, requires Origin to be exactly that origin, whatever Host and the forwarded headers say", () => {
    const policy = { appOrigin: "https://shop.example" };
    const behindProxy = { Host: "app-internal:3000" };
    expect(refused("POST", { ...behindProxy, Origin: "https://shop.example" }, policy)).toBe(false);
    expect(refused("POST", { ...behindProxy, Origin: "https://Shop.Example:443" }, policy)).toBe(false);
    expect(refused("POST", { ...behindProxy, Origin: "http://shop.example" }, policy)).toBe(true);
    expect(refused("POST", { ...behindProxy, Origin: "https://shop.example:8443" }, policy)).toBe(true);
    expect(refused("POST", { ...behindProxy, Origin: "http://app-internal:3000" }, policy)).toBe(true);
    const forwarded = {
      "X-Forwarded-Host": "evil.example",
      "X-Forwarded-Proto": "https",
      Origin: "https://evil.example",
    };
    expect(refused("POST", { ...behindProxy, ...forwarded }, { ...policy, trustProxy: true })).toBe(true);
  });

  it("refuses a write without Origin that the browser marks cross-site; same-site, same-origin, none and none at all pass", () => {
    expect(refused("POST", { "Sec-Fetch-Site": "cross-site" })).toBe(true);
    expect(refused("DELETE", { "Sec-Fetch-Site": "Cross-Site" })).toBe(true);
    expect(refused("POST", { "Sec-Fetch-Site": "cross-site" }, { appOrigin: "https://shop.example" })).toBe(true);
    for (const site of ["same-site", "same-origin", "none"]) {
      expect(refused("POST", { "Sec-Fetch-Site": site }), site).toBe(false);
    }
    // Non-browser clients (webhooks, curl) send neither, and carry no ambient cookie.
    expect(refused("POST", {})).toBe(false);
    expect(refused("DELETE", {})).toBe(false);
  });

  it("refuses a write with an Origin when this site's own origin cannot be worked out from Host", () => {
    for (const host of [
      "evil.example/@shop.example:3000",
      "shop.example:3000@evil.example",
      "shop example",
      "shop.example:port",
    ]) {
      expect(refused("POST", { Host: host, Origin: "http://shop.example:3000" }), host).toBe(true);
    }
    // A forwarded scheme that is not http(s) is no origin either.
    expect(
      refused("POST", { "X-Forwarded-Proto": "javascript", Origin: "http://shop.example:3000" }, { trustProxy: true }),
    ).toBe(true);
  });

  it("falls back to the URL's host when the request has no Host header (HTTP/1.0, hand-made requests)", () => {
    const bare = new Request("http://shop.example:3000/cart", {
      method: "POST",
      headers: { Origin: "http://shop.example:3000" },
    });
    expect(isCrossOriginWrite(bare)).toBe(false);
    const forged = new Request("http://shop.example:3000/cart", {
      method: "POST",
      headers: { Origin: "http://evil.example" },
    });
    expect(isCrossOriginWrite(forged)).toBe(true);
  });

  it("fails closed when appOrigin is not an origin", () => {
    expect(refused("POST", { Origin: "http://shop.example:3000" }, { appOrigin: "not an origin" })).toBe(true);
  });
});

describe("refuseCrossOriginWrites", () => {
  /** A `withSession` that records each request it runs and answers 200. */
  function recorder() {
    const seen: string[] = [];
    const withSession: WithSession<unknown, unknown> = async (request, handler) => {
      seen.push(`${request.method} ${new URL(request.url).pathname}`);
      return handler({} as SessionContext<unknown, unknown>);
    };
    return { seen, withSession };
  }
  const ok = async () => new Response("ran");

  it("answers a cross-origin write with a 403 and never runs what it wraps", async () => {
    const { seen, withSession } = recorder();
    const guarded = refuseCrossOriginWrites(withSession);
    const post = new Request("http://shop.example/cart", {
      method: "POST",
      headers: { Host: "shop.example", Origin: "https://evil.example" },
    });
    const response = await guarded(post, ok);
    expect(response.status).toBe(403);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(seen).toEqual([]);
  });

  it("passes same-origin writes and every read through, judged by the policy it was given", async () => {
    const { seen, withSession } = recorder();
    const guarded = refuseCrossOriginWrites(withSession, { appOrigin: "https://shop.example" });
    const own = new Request("http://10.0.0.5/cart", {
      method: "POST",
      headers: { Host: "10.0.0.5", Origin: "https://shop.example" },
    });
    const read = new Request("http://10.0.0.5/cart", { headers: { Origin: "https://evil.example" } });
    expect(await (await guarded(own, ok)).text()).toBe("ran");
    expect(await (await guarded(read, ok)).text()).toBe("ran");
    expect(seen).toEqual(["POST /cart", "GET /cart"]);
  });
});

describe("guardedByDefault, as every adapter applies it", () => {
  const ran: WithSession<unknown, unknown> = async (_request, handler) =>
    handler({} as SessionContext<unknown, unknown>);
  const ok = async () => new Response("ran");
  const crossSite = () =>
    new Request("http://shop.example/cart", {
      method: "POST",
      headers: { Host: "shop.example", Origin: "https://evil.example" },
    });
  const proxied = () =>
    new Request("http://10.0.0.5/cart", {
      method: "POST",
      headers: { Host: "10.0.0.5", Origin: "https://shop.example" },
    });

  it("refuses cross-origin writes when given no option", async () => {
    expect((await guardedByDefault(ran)(crossSite(), ok)).status).toBe(403);
  });

  it("lets them through only when told crossOrigin: false", async () => {
    expect((await guardedByDefault(ran, false)(crossSite(), ok)).status).toBe(200);
  });

  it("adds no second guard around one already applied, so the first one's policy alone judges", async () => {
    const appGuard = refuseCrossOriginWrites(ran, { appOrigin: "https://shop.example" });
    // A second guard judging by Host would refuse this write, which the app's policy accepts.
    expect((await guardedByDefault(appGuard)(proxied(), ok)).status).toBe(200);
    expect((await guardedByDefault(ran)(proxied(), ok)).status).toBe(403);
  });
});
