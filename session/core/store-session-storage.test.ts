import { createCookie } from "@remix-run/node";
import { describe, expect, it } from "vitest";

import { MemorySessionStore } from "../stores/memory";

import { SessionCookie } from "./cookie";
import { createStoreSessionStorage } from "./store-session-storage";

const HOUR = 60 * 60;
const cookieFor = (secrets: string[]) =>
  new SessionCookie(createCookie, { name: "__session", secrets, secure: false, maxAge: 24 * HOUR });
const cookieHeader = (setCookie: string) => setCookie.split(";")[0];

function setup(rollingInterval: number) {
  let now = Date.parse("2026-01-01T00:00:00Z");
  const clock = { advance: (seconds: number) => (now += seconds * 1000) };
  const store = new MemorySessionStore({ now: () => now });
  const storage = createStoreSessionStorage({ cookie: cookieFor(["s1"]), store, rollingInterval, now: () => now });
  return { clock, store, storage };
}

describe("rolling expiry", () => {
  it("writes nothing for an unchanged session within the interval", async () => {
    const { clock, storage } = setup(HOUR);
    const first = await storage.getSession(null);
    first.set("a", 1);
    const header = cookieHeader((await storage.save(first))!);
    clock.advance(HOUR - 1);
    expect(await storage.save(await storage.getSession(header))).toBeNull();
  });

  it("extends the stored expiry and the cookie once the interval has passed", async () => {
    const { clock, store, storage } = setup(HOUR);
    const first = await storage.getSession(null);
    first.set("a", 1);
    const header = cookieHeader((await storage.save(first))!);
    const before = (await store.read(first.id))!.expires.getTime();
    clock.advance(HOUR);
    const again = await storage.getSession(header);
    expect(await storage.save(again)).toMatch(/^__session=/);
    expect((await store.read(first.id))!.expires.getTime()).toBe(before + HOUR * 1000);
    // Right after the extension the next request is free again.
    expect(await storage.save(await storage.getSession(header))).toBeNull();
  });

  it("never extends when turned off", async () => {
    const { clock, storage } = setup(0);
    const first = await storage.getSession(null);
    first.set("a", 1);
    const header = cookieHeader((await storage.save(first))!);
    clock.advance(20 * HOUR);
    expect(await storage.save(await storage.getSession(header))).toBeNull();
  });
});

describe("secret rotation", () => {
  it("accepts a cookie signed with an older listed secret and re-signs it with the current one", async () => {
    const store = new MemorySessionStore();
    const old = createStoreSessionStorage({ cookie: cookieFor(["old"]), store });
    const session = await old.getSession(null);
    session.set("a", 1);
    const oldHeader = cookieHeader((await old.save(session))!);

    const rotated = createStoreSessionStorage({ cookie: cookieFor(["new", "old"]), store });
    const read = await rotated.getSession(oldHeader);
    expect(read.data).toEqual({ a: 1 });
    const resigned = await rotated.save(read);
    expect(resigned).not.toBeNull();

    const current = createStoreSessionStorage({ cookie: cookieFor(["new"]), store });
    expect((await current.getSession(cookieHeader(resigned!))).data).toEqual({ a: 1 });
    expect((await current.getSession(oldHeader)).data).toEqual({});
  });
});
