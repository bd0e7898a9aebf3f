import { createCookie } from "@remix-run/node";
import { describe, expect, it } from "vitest";

import { MemorySessionStore } from "../stores/memory";

import { SessionCookie } from "./cookie";
import { ID_TAG_LENGTH } from "./id";
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

describe("lifetimes", () => {
  it("extends a session whose lifetime is shorter than the rolling interval before it runs out", async () => {
    const { clock, storage } = setup(HOUR);
    const first = await storage.getSession(null);
    first.set("a", 1);
    first.setLifetime(600);
    const header = cookieHeader((await storage.save(first))!);
    // A user active every five minutes: each refresh comes at half the lifetime, so it never lapses.
    for (let minute = 5; minute <= 60; minute += 5) {
      clock.advance(300);
      const session = await storage.getSession(header);
      expect(session.data, `minute ${minute}`).toEqual({ a: 1 });
      await storage.save(session);
    }
  });

  it("caps a lifetime at 400 days, as browsers cap Max-Age", async () => {
    const { store, storage } = setup(HOUR);
    const session = await storage.getSession(null);
    session.set("a", 1);
    session.setLifetime(10 ** 13);
    await storage.save(session);
    const expires = (await store.read(session.id))!.expires.getTime();
    expect(expires).toBeLessThanOrEqual(Date.parse("2026-01-01T00:00:00Z") + 400 * 24 * HOUR * 1000);
  });

  it("sends no cookie for a write that keeps the id and lifetime, so a late answer can never put an id back", async () => {
    const { store, storage } = setup(HOUR);
    const first = await storage.getSession(null);
    first.set("a", 1);
    const header = cookieHeader((await storage.save(first))!);
    const expires = (await store.read(first.id))!.expires.getTime();
    const write = await storage.getSession(header);
    write.set("b", 2);
    expect(await storage.save(write)).toBeNull();
    expect(await store.read(first.id)).toMatchObject({ data: { a: 1, b: 2 } });
    expect((await store.read(first.id))!.expires.getTime()).toBe(expires);
  });
});

describe("sign-out", () => {
  it("ends the session even when what the request set after destroy() is too large, and says what was refused", async () => {
    const store = new MemorySessionStore({ maxSessionBytes: 2048 });
    const storage = createStoreSessionStorage({ cookie: cookieFor(["s1"]), store });
    const first = await storage.getSession(null);
    first.set("user", "ada");
    const header = cookieHeader((await storage.save(first))!);
    const signOut = await storage.getSession(header);
    signOut.destroy();
    signOut.flash("notice", "x".repeat(4096));
    await expect(storage.save(signOut)).rejects.toThrow(/over the limit/);
    expect((await storage.getSession(header)).data).toEqual({});
    expect(store.size).toBe(0);
  });

  it("gives a session the store never held no id on regenerateId(): it gets one when first saved", async () => {
    const { storage } = setup(HOUR);
    const session = await storage.getSession(null);
    session.regenerateId();
    expect(session.id).toBe("");
    expect(await storage.save(session)).toBeNull();
  });
});

describe("the id a sign-in or sign-out makes", () => {
  async function newIdAfter(placesByIdTag: boolean, act: "regenerateId" | "destroy") {
    const store = Object.assign(new MemorySessionStore(), { placesByIdTag });
    const storage = createStoreSessionStorage({ cookie: cookieFor(["s1"]), store });
    const first = await storage.getSession(null);
    first.set("a", 1);
    const header = cookieHeader((await storage.save(first))!);
    const session = await storage.getSession(header);
    session[act]();
    session.set("b", 2);
    await storage.save(session);
    return { before: first.id, after: session.id };
  }

  it("shares nothing with the old id on a store that does not place sessions by tag", async () => {
    for (const act of ["regenerateId", "destroy"] as const) {
      const { before, after } = await newIdAfter(false, act);
      expect(after).not.toBe(before);
      expect(after.slice(0, ID_TAG_LENGTH)).not.toBe(before.slice(0, ID_TAG_LENGTH));
    }
  });

  it("keeps the old id's tag, and only the tag, on a store that places sessions by it (Redis Cluster)", async () => {
    for (const act of ["regenerateId", "destroy"] as const) {
      const { before, after } = await newIdAfter(true, act);
      expect(after.slice(0, ID_TAG_LENGTH)).toBe(before.slice(0, ID_TAG_LENGTH));
      expect(after.slice(ID_TAG_LENGTH)).not.toBe(before.slice(ID_TAG_LENGTH));
    }
  });
});
