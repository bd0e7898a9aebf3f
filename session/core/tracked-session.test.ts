import { createCookie, isSession } from "@remix-run/node";
import { describe, expect, it } from "vitest";

import { MemorySessionStore } from "../stores/memory";

import { createAutoCommit } from "./auto-commit";
import { SessionCookie } from "./cookie";
import type { SessionStore } from "./store";
import { createStoreSessionStorage } from "./store-session-storage";
import { trackingOf } from "./tracked-session";

// What a request does to its session, proved by what a storage writes and reads back: the change set
// itself is the storage's business.

function setup() {
  const cookie = new SessionCookie(createCookie, { name: "__session", secrets: ["s1"], secure: false, maxAge: 3600 });
  const memory = new MemorySessionStore();
  let commits = 0;
  const store: SessionStore = {
    read: (id) => memory.read(id),
    commit: (plan) => {
      commits++;
      return memory.commit(plan);
    },
    close: () => memory.close(),
  };
  const storage = createStoreSessionStorage({ cookie, store });

  /** The `Cookie` header a browser sends back after `setCookie`. */
  const cookieFrom = (setCookie: string | null) => {
    if (setCookie === null) throw new Error("expected a Set-Cookie");
    return setCookie.split(";")[0];
  };
  /** A session stored with `data`, and the `Cookie` header that opens it. */
  const storedWith = async (data: Record<string, unknown>) => {
    const session = await storage.getSession(null);
    for (const [key, value] of Object.entries(data)) session.set(key, value);
    return cookieFrom(await storage.save(session));
  };
  /** What the storage holds for the session `cookieHeader` names ({} when it opens nothing). */
  const readBack = async (cookieHeader: string) => (await storage.getSession(cookieHeader)).data;

  return { storage, cookieFrom, storedWith, readBack, commits: () => commits };
}

describe("TrackedSession", () => {
  it("passes Remix's isSession check", async () => {
    const { storage } = setup();
    expect(isSession(await storage.getSession(null))).toBe(true);
  });

  it("offers a route Remix's Session and the session's own verbs, and none of the storage's bookkeeping", async () => {
    const { storage } = setup();
    const session = await storage.getSession(null);
    const members = new Set<string>();
    for (let proto = Object.getPrototypeOf(session); proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
      for (const name of Object.getOwnPropertyNames(proto)) if (name !== "constructor") members.add(name);
    }
    for (const name of Object.keys(session)) members.add(name);
    expect([...members].sort()).toEqual(
      ["data", "destroy", "flash", "get", "has", "id", "regenerateId", "set", "setLifetime", "unset"].sort(),
    );
  });

  it("writes nothing and sends no cookie for a session that was only read", async () => {
    const { storage, storedWith, commits } = setup();
    const cookie = await storedWith({ a: 1 });
    const before = commits();
    const s = await storage.getSession(cookie);
    expect(s.get("a")).toBe(1);
    expect(s.has("b")).toBe(false);
    expect(s.data).toEqual({ a: 1 });
    expect(await storage.save(s)).toBeNull();
    expect(commits()).toBe(before);
  });

  it("saves sets and unsets, the later one winning for the same key, and leaves other keys to others", async () => {
    const { storage, storedWith, readBack } = setup();
    const cookie = await storedWith({ a: 1, b: "x" });
    const s = await storage.getSession(cookie);
    s.set("a", 2);
    s.unset("a");
    s.unset("b");
    s.set("b", "y");
    expect(s.data).toEqual({ b: "y" });
    // Another request writes a key this one never touched before this one commits.
    const other = await storage.getSession(cookie);
    other.set("c", "z");
    await storage.save(other);
    await storage.save(s);
    expect(await readBack(cookie)).toEqual({ b: "y", c: "z" });
  });

  it("treats setting undefined as removing the key, since JSON cannot hold it", async () => {
    const { storage, storedWith, readBack } = setup();
    const cookie = await storedWith({ a: 1, b: "x" });
    const s = await storage.getSession(cookie);
    s.set("a", undefined);
    expect(s.has("a")).toBe(false);
    await storage.save(s);
    expect(await readBack(cookie)).toEqual({ b: "x" });
  });

  it("removes a flash it read from the store, but not a newer one another request set since", async () => {
    const { storage, storedWith, readBack } = setup();
    const cookie = await storedWith({ __flash_notice__: "saved", __flash_alert__: "old" });
    const s = await storage.getSession(cookie);
    expect(s.has("notice")).toBe(true);
    expect(s.get("notice")).toBe("saved");
    expect(s.get("notice")).toBeUndefined();
    expect(s.get("alert")).toBe("old");
    const other = await storage.getSession(cookie);
    other.flash("alert", "new");
    await storage.save(other);
    await storage.save(s);
    expect(await readBack(cookie)).toEqual({ __flash_alert__: "new" });
  });

  it("writes nothing for a flash set and read in the same request", async () => {
    const { storage, commits } = setup();
    const s = await storage.getSession(null);
    s.flash("notice", "hi");
    expect(s.get("notice")).toBe("hi");
    expect(await storage.save(s)).toBeNull();
    expect(commits()).toBe(0);
  });

  it("regenerateId keeps the data under a fresh id, and the old id opens nothing", async () => {
    const { storage, storedWith, cookieFrom, readBack } = setup();
    const cookie = await storedWith({ a: 1 });
    const s = await storage.getSession(cookie);
    const oldId = s.id;
    s.regenerateId();
    expect(s.id).not.toBe(oldId);
    expect(s.data).toEqual({ a: 1 });
    const moved = cookieFrom(await storage.save(s));
    expect(await readBack(moved)).toEqual({ a: 1 });
    expect(await readBack(cookie)).toEqual({});
    expect((await storage.getSession(moved)).id).toBe(s.id);
  });

  it("regenerateId on a session the store never saw writes nothing until something is set", async () => {
    const { storage, cookieFrom, readBack } = setup();
    const s = await storage.getSession(null);
    s.regenerateId();
    expect(await storage.save(s)).toBeNull();
    s.set("a", 1);
    expect(await readBack(cookieFrom(await storage.save(s)))).toEqual({ a: 1 });
  });

  it("destroy deletes the stored session and forgets pending changes; what is set after starts a new one", async () => {
    const { storage, storedWith, cookieFrom, readBack } = setup();
    const cookie = await storedWith({ a: 1 });
    const s = await storage.getSession(cookie);
    s.set("b", "x");
    s.destroy();
    expect(s.data).toEqual({});
    s.set("a", 5);
    const fresh = cookieFrom(await storage.save(s));
    expect(await readBack(cookie)).toEqual({});
    expect(await readBack(fresh)).toEqual({ a: 5 });
  });

  it("reports every change made after its request was committed", async () => {
    const { storage, storedWith } = setup();
    const cookie = await storedWith({ __flash_notice__: "x" });
    const late: string[] = [];
    const withSession = createAutoCommit({ storage, onLateChange: (key) => late.push(key) });
    let kept: Awaited<ReturnType<typeof storage.getSession>> | undefined;
    await withSession(new Request("http://app.test/", { headers: { Cookie: cookie } }), async ({ session }) => {
      kept = session;
      return new Response("ok");
    });
    kept!.set("a", 1);
    kept!.unset("b");
    kept!.get("notice");
    expect(late).toEqual(["a", "b", "__flash_notice__"]);
  });
});

describe("the tracking record behind a session", () => {
  it("is reached for a session this stack made, and refused with one clear error for anything else", async () => {
    const storage = createStoreSessionStorage({
      cookie: new SessionCookie(createCookie, { name: "__session", secrets: ["s1"], secure: false, maxAge: 3600 }),
      store: new MemorySessionStore(),
    });
    const session = await storage.getSession(null);
    expect(trackingOf(session).storedId).toBeNull();

    const notOurs: Record<string, unknown> = {
      "a plain object": {},
      "a null-prototype object": Object.create(null),
      "a proxy of a session": new Proxy(session, {}),
      null: null,
      undefined: undefined,
      "a string": "session",
    };
    for (const [what, value] of Object.entries(notOurs)) {
      expect(() => trackingOf(value as object), what).toThrow(/Not a session this stack made/);
    }
    // A route sees only the session's own methods: nothing on it leads to the record.
    expect(Object.keys(session)).toEqual([]);
  });
});
