import { createCookie } from "@remix-run/node";
import { describe, expect, it } from "vitest";

import { SessionCookie } from "./cookie";
import { createCookieSessionStorage } from "./cookie-session-storage";

const cookieHeader = (setCookie: string) => setCookie.split(";")[0];

describe("the cookie storage's signed expiry", () => {
  it("follows Max-Age, as browsers do, when a commit passes both maxAge and expires", async () => {
    let now = Date.parse("2026-01-01T00:00:00Z");
    const cookie = new SessionCookie(createCookie, { name: "__session", secrets: ["s1"], secure: false, maxAge: 3600 });
    const storage = createCookieSessionStorage({ cookie, now: () => now });
    const session = await storage.getSession(null);
    session.set("user", "ada");
    const setCookie = await storage.commitSession(session, { maxAge: 60, expires: new Date(now + 2 * 86_400_000) });
    expect(setCookie).toMatch(/Max-Age=60/);
    now += 61_000;
    // A copy replayed after Max-Age opens nothing, whatever Expires said.
    expect((await storage.getSession(cookieHeader(setCookie))).data).toEqual({});
  });
});
