import { createCookie } from "@remix-run/node";
import { describe, expect, it } from "vitest";

import { MemorySessionStore } from "../stores/memory";

import { createAutoCommit } from "./auto-commit";
import { SessionCookie } from "./cookie";
import { createStoreSessionStorage } from "./store-session-storage";

const URL_BASE = "http://app.test";

function setup() {
  const cookie = new SessionCookie(createCookie, { name: "__session", secrets: ["s1"], secure: false, maxAge: 3600 });
  const storage = createStoreSessionStorage({ cookie, store: new MemorySessionStore() });
  const withSession = createAutoCommit({ storage });
  return { storage, withSession };
}

async function signedInCookie(storage: ReturnType<typeof setup>["storage"]): Promise<string> {
  const session = await storage.getSession(null);
  session.set("user", "ada");
  return (await storage.commitSession(session)).split(";")[0];
}

describe("createAutoCommit", () => {
  it("sends no cookie for the old id when a read is interrupted after the route committed by hand", async () => {
    const { storage, withSession } = setup();
    const cookie = await signedInCookie(storage);
    const request = new Request(`${URL_BASE}/report`, { headers: { Cookie: cookie } });
    const response = await withSession(request, async ({ session, sessionStorage }) => {
      // A library commits its own copy of the session by hand...
      const own = await sessionStorage.getSession(cookie);
      own.set("mark:library", "x");
      const handCookie = await sessionStorage.commitSession(own);
      // ...then another request signs the session out before this one's own change is saved.
      const other = await sessionStorage.getSession(cookie);
      await sessionStorage.destroySession(other);
      session.set("mark:route", "y");
      return new Response("report", { headers: { "Set-Cookie": handCookie } });
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("report");
    expect(response.headers.getSetCookie()).toEqual([]);
    expect((await storage.getSession(cookie)).data).toEqual({});
  });

  it("strips the headers that let a CDN store a response carrying the session cookie", async () => {
    const { withSession } = setup();
    const response = await withSession(new Request(`${URL_BASE}/page`), async ({ session }) => {
      session.set("visits", 1);
      return new Response("page", {
        headers: {
          "Cache-Control": "public, max-age=60",
          "CDN-Cache-Control": "public, max-age=600",
          "Cloudflare-CDN-Cache-Control": "max-age=600",
          "Surrogate-Control": "max-age=600",
        },
      });
    });
    expect(response.headers.getSetCookie()).toHaveLength(1);
    expect(response.headers.get("Cache-Control")).toBe("private, max-age=60");
    for (const name of ["CDN-Cache-Control", "Cloudflare-CDN-Cache-Control", "Surrogate-Control"]) {
      expect(response.headers.get(name), name).toBeNull();
    }
  });

  it("asks for revalidation on a plain redirect of a `.data` request that changed the session without a cookie", async () => {
    // React Router 7 with future.v8_passThroughRequests hands middleware the `.data` request and the
    // route's own 302; it turns that into the client's redirect, revalidating only when told to.
    const { storage, withSession } = setup();
    const cookie = await signedInCookie(storage);
    const redirectOf = (write: boolean) =>
      withSession(
        new Request(`${URL_BASE}/cart.data`, { method: "POST", headers: { Cookie: cookie } }),
        async ({ session }) => {
          if (write) session.set("cart", ["apple"]);
          return new Response(null, { status: 302, headers: { Location: "/cart" } });
        },
      );

    const changed = await redirectOf(true);
    expect(changed.headers.getSetCookie()).toEqual([]);
    expect(changed.headers.get("X-Remix-Revalidate")).toBe("yes");
    expect((await redirectOf(false)).headers.get("X-Remix-Revalidate")).toBeNull();
  });
});
