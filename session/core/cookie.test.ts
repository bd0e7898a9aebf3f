import { createCookie } from "@remix-run/node";
import type { CreateCookieFunction } from "@remix-run/server-runtime";
import { describe, expect, it } from "vitest";

import { SessionCookie } from "./cookie";

const SETTINGS = { name: "__session", secure: false, maxAge: 3600 };

/** Remix's createCookie, counting how often a cookie it made verifies and decodes a header. */
function countingCreateCookie(): { createCookie: CreateCookieFunction; parses: () => number } {
  let parses = 0;
  const counting: CreateCookieFunction = (name, options) => {
    const cookie = createCookie(name, options);
    return Object.assign(Object.create(cookie) as typeof cookie, {
      parse: (...args: Parameters<typeof cookie.parse>) => {
        parses++;
        return cookie.parse(...args);
      },
    });
  };
  return { createCookie: counting, parses: () => parses };
}

const headerOf = (setCookie: string) => setCookie.split(";")[0];

describe("SessionCookie's memo of verified headers", () => {
  it("verifies a header once and answers the same header again from the memo", async () => {
    const { createCookie: counting, parses } = countingCreateCookie();
    const cookie = new SessionCookie(counting, { ...SETTINGS, secrets: ["s1"] });
    const header = headerOf(await cookie.serialize({ d: { user: "ada" }, e: 1 }));

    expect(await cookie.parse(header)).toEqual({ value: { d: { user: "ada" }, e: 1 }, stale: false });
    expect(await cookie.parse(header)).toEqual({ value: { d: { user: "ada" }, e: 1 }, stale: false });
    expect(parses()).toBe(1);
  });

  it("hands every caller its own copy, so one request's change never shows in another's read", async () => {
    const cookie = new SessionCookie(createCookie, { ...SETTINGS, secrets: ["s1"] });
    const header = headerOf(await cookie.serialize({ d: { cart: ["apple"] }, e: 1 }));

    const first = (await cookie.parse(header))!.value as { d: { cart: string[] } };
    first.d.cart.push("stolen");
    const second = (await cookie.parse(header))!.value as { d: { cart: string[] } };
    expect(second.d.cart).toEqual(["apple"]);
  });

  it("never keeps a header that did not verify: a forged one is checked, and refused, every time", async () => {
    const { createCookie: counting, parses } = countingCreateCookie();
    const cookie = new SessionCookie(counting, { ...SETTINGS, secrets: ["s1"] });
    const forged = headerOf(await new SessionCookie(createCookie, { ...SETTINGS, secrets: ["other"] }).serialize("x"));

    expect(await cookie.parse(forged)).toBeNull();
    expect(await cookie.parse(forged)).toBeNull();
    expect(parses()).toBe(2);
  });

  it("keeps the stale mark of a header signed with an older secret", async () => {
    const old = new SessionCookie(createCookie, { ...SETTINGS, secrets: ["old"] });
    const cookie = new SessionCookie(createCookie, { ...SETTINGS, secrets: ["new", "old"] });
    const header = headerOf(await old.serialize("id"));

    expect(await cookie.parse(header)).toEqual({ value: "id", stale: true });
    expect(await cookie.parse(header)).toEqual({ value: "id", stale: true });
  });

  it("holds a bounded number of headers, letting the least recently used go first", async () => {
    const { createCookie: counting, parses } = countingCreateCookie();
    const cookie = new SessionCookie(counting, { ...SETTINGS, secrets: ["s1"] });
    const headers = await Promise.all(
      Array.from({ length: 258 }, async (_, index) => headerOf(await cookie.serialize(`id-${index}`))),
    );
    for (const header of headers.slice(0, 256)) await cookie.parse(header);
    // The first browser comes back before the memo is full of others: it keeps its entry.
    await cookie.parse(headers[0]);
    expect(parses()).toBe(256);

    await cookie.parse(headers[256]);
    await cookie.parse(headers[0]);
    expect(parses()).toBe(257);
    await cookie.parse(headers[1]);
    expect(parses()).toBe(258);
  });
});
