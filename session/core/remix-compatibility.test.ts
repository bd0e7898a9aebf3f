import { createCookie, createCookieSessionStorage, createSession, isSession } from "@remix-run/node";
import type { CookieSerializeOptions } from "@remix-run/server-runtime";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";

import { readSessionSettings } from "../../server/session-settings";
import { createAppSessionStorage } from "../../server/session-wiring";
import { deleteKeys, describeWithRedis, uniquePrefix } from "../../tests/support/redis";
import { MemorySessionStore } from "../stores/memory";
import { RedisSessionStore } from "../stores/redis";
import { SqliteSessionStore } from "../stores/sqlite";
import { WorkersKVSessionStore, type KVNamespaceLike } from "../stores/workers-kv";

import { SessionTooLargeError } from "./errors";
import type { AutoSessionStorage } from "./storage";
import type { SessionStore } from "./store";

/**
 * Remix's `SessionStorage` contract, checked against every storage this stack builds, the way the app
 * builds them (`createAppSessionStorage` with Remix's `createCookie`). Each test goes through the
 * storage's public door: getSession, commitSession, destroySession (and save, for the automatic commit),
 * with cookies taken from the `Set-Cookie` each one returns. Where the stack differs from Remix on
 * purpose, the test says so; docs/remix-compatibility.md lists every such difference.
 */

const SECRET = "remix-compatibility-secret-0123456789";
const SETTINGS = readSessionSettings({}, "test");
const DEFAULT_MAX_AGE = SETTINGS.maxAge; // 30 days
const ID = /^[A-Za-z0-9_-]{36}$/;

/** A storage with Remix's default (untyped) session data, so tests may use any key. */
type Storage = AutoSessionStorage;

interface StorageCase {
  name: string;
  /** The data lives in a server-side store (the cookie holds an id), not in the cookie itself. */
  serverSide: boolean;
  /** The store's clock follows a faked `Date` (`vi.setSystemTime`); Redis keeps its own time. */
  fakeableClock: boolean;
  /** A fresh, empty store; null for the cookie storage. */
  createStore: () => SessionStore | null | Promise<SessionStore | null>;
}

/** A Workers KV namespace in memory: text values with KV's `expirationTtl`. */
function memoryKV(): KVNamespaceLike {
  const values = new Map<string, { text: string; expiresAt: number | null }>();
  return {
    async get(key) {
      const entry = values.get(key);
      if (!entry) return null;
      if (entry.expiresAt !== null && entry.expiresAt <= Date.now()) {
        values.delete(key);
        return null;
      }
      return entry.text;
    },
    async put(key, text, options) {
      const ttl = options?.expirationTtl;
      values.set(key, { text, expiresAt: ttl === undefined ? null : Date.now() + ttl * 1000 });
    },
    async delete(key) {
      values.delete(key);
    },
  };
}

// Clocks read Date.now() on every call, so a faked Date moves them too.
const clock = () => Date.now();
const maxSessionBytes = SETTINGS.maxBytes;

const LOCAL_CASES: StorageCase[] = [
  { name: "cookie", serverSide: false, fakeableClock: true, createStore: () => null },
  {
    name: "memory",
    serverSide: true,
    fakeableClock: true,
    createStore: () => new MemorySessionStore({ maxSessionBytes, now: clock }),
  },
  {
    name: "sqlite",
    serverSide: true,
    fakeableClock: true,
    createStore: () => new SqliteSessionStore({ filename: ":memory:", purgeInterval: 0, maxSessionBytes, now: clock }),
  },
  {
    name: "workers-kv",
    serverSide: true,
    fakeableClock: true,
    createStore: () => new WorkersKVSessionStore({ kv: memoryKV(), maxSessionBytes, retryDelay: 5, now: clock }),
  },
];

/** The `name=value` pair a `Set-Cookie` value carries: what the browser sends back in `Cookie`. */
const cookieOf = (setCookie: string) => setCookie.split(";")[0];

/** The attributes of a `Set-Cookie` value, by lower-cased name ("" for flags such as Secure). */
function attributesOf(setCookie: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const part of setCookie.split(";").slice(1)) {
    const [name, ...value] = part.trim().split("=");
    attributes.set(name.toLowerCase(), value.join("="));
  }
  return attributes;
}

/** When a browser receiving `setCookie` at `receivedAt` drops it (Max-Age wins over Expires); null: at exit. */
function browserExpiry(setCookie: string, receivedAt = Date.now()): number | null {
  const attributes = attributesOf(setCookie);
  const maxAge = attributes.get("max-age");
  if (maxAge !== undefined) return receivedAt + Number(maxAge) * 1000;
  const expires = attributes.get("expires");
  return expires === undefined ? null : Date.parse(expires);
}

/** `actual` (milliseconds) is within `tolerance` of `expected`; the message shows both as dates. */
function expectNear(actual: number | null | undefined, expected: number, tolerance: number, what: string) {
  const show = (ms: number | null | undefined) => (typeof ms === "number" ? new Date(ms).toISOString() : String(ms));
  expect(
    typeof actual === "number" && Math.abs(actual - expected) <= tolerance,
    `${what}: ${show(actual)}, expected ${show(expected)} (within ${tolerance} ms)`,
  ).toBe(true);
}

/** A time `seconds` from now, on a whole second (what an `Expires` attribute can say). */
const wholeSecondsFromNow = (seconds: number) => new Date(Math.floor(Date.now() / 1000) * 1000 + seconds * 1000);

/** Fakes `Date` only (timers keep running); `advance` moves it forward. Undone after each test. */
function fakeDate() {
  vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
  return { advance: (seconds: number) => vi.setSystemTime(Date.now() + seconds * 1000) };
}

function describeRemixCompatibility(cases: StorageCase[]) {
  describe.each(cases)("Remix SessionStorage contract, $name storage", (storageCase) => {
    const { serverSide, fakeableClock } = storageCase;
    const opened: Storage[] = [];

    afterEach(async () => {
      vi.useRealTimers();
      await Promise.all(opened.splice(0).map((storage) => storage.close()));
    });

    /** The app's storage over a fresh store; `withSecrets` makes another over the same store. */
    async function open() {
      const store = await storageCase.createStore();
      const build = (secrets: string[]) =>
        createAppSessionStorage(createCookie, { ...SETTINGS, secrets }, store) as unknown as Storage;
      const storage = build([SECRET]);
      opened.push(storage);
      return { storage, store, withSecrets: build };
    }

    /** Commits `values` as a new session and returns the `Cookie` value that opens it. */
    async function saved(storage: Storage, values: Record<string, unknown>): Promise<string> {
      const session = await storage.getSession(null);
      for (const [key, value] of Object.entries(values)) session.set(key, value);
      return cookieOf(await storage.commitSession(session));
    }

    /** What the store holds for the session a cookie opens. */
    async function storedFor(storage: Storage, store: SessionStore | null, cookie: string) {
      const { id } = await storage.getSession(cookie);
      expect(id).toMatch(ID);
      return store!.read(id);
    }

    describe("reading a session", () => {
      it("gives an empty session for no cookie, or a cookie it cannot open", async () => {
        const { storage } = await open();
        const good = await saved(storage, { user: "ada" });
        // The very value of a good cookie, signed with a secret the storage does not list.
        const value: unknown = await createCookie("__session", { secrets: [SECRET] }).parse(good);
        const otherSecret = cookieOf(await createCookie("__session", { secrets: ["another-secret"] }).serialize(value));
        for (const header of [
          undefined,
          null,
          "",
          "other=1",
          "__session=",
          "__session=garbage",
          "__session=%E0%A4%A",
          good.slice(0, -1), // tampered signature
          otherSecret,
        ]) {
          const session = await storage.getSession(header);
          expect(session.data, String(header)).toEqual({});
          expect(session.has("user")).toBe(false);
        }
      });

      it('gives a session that was never saved the id "" (as Remix does)', async () => {
        const { storage } = await open();
        const good = await saved(storage, { user: "ada" });
        for (const header of [null, "__session=garbage", good.slice(0, -1)]) {
          const session = await storage.getSession(header);
          expect(session.id, String(header)).toBe("");
          session.set("user", "grace");
          expect(session.id, "a change alone does not save it").toBe("");
        }
      });

      it(`reopens a saved session under ${serverSide ? "its 32-character id" : 'the id "" (the data is the cookie)'}`, async () => {
        const { storage } = await open();
        const cookie = await saved(storage, { user: "ada" });
        const first = await storage.getSession(cookie);
        const again = await storage.getSession(cookie);
        if (serverSide) expect(first.id).toMatch(ID);
        else expect(first.id).toBe("");
        expect(again.id).toBe(first.id);
      });

      it("returns a Remix Session (isSession)", async () => {
        const { storage } = await open();
        expect(isSession(await storage.getSession(null))).toBe(true);
        expect(isSession(await storage.getSession(await saved(storage, { a: 1 })))).toBe(true);
      });

      it.runIf(serverSide)(
        "never adopts a validly signed id the store does not hold: the session is empty and its commit gets a new id",
        async () => {
          const { storage } = await open();
          const planted = "P".repeat(32);
          const cookie = cookieOf(await createCookie("__session", { secrets: [SECRET] }).serialize(planted));
          const session = await storage.getSession(cookie);
          expect(session.data).toEqual({});
          session.set("user", "victim");
          const reopened = await storage.getSession(cookieOf(await storage.commitSession(session)));
          expect(reopened.get("user")).toBe("victim");
          expect(reopened.id).toMatch(ID);
          expect(reopened.id).not.toBe(planted);
          expect((await storage.getSession(cookie)).data, "the planted id still opens nothing").toEqual({});
        },
      );
    });

    describe("the Session API", () => {
      it("set, get, has, unset and data behave as Remix's Session", async () => {
        const { storage } = await open();
        const session = await storage.getSession(null);
        session.set("user", "ada");
        session.flash("notice", "saved");
        expect(session.has("user")).toBe(true);
        expect(session.get("user")).toBe("ada");
        expect(session.get("user"), "a plain value stays after get").toBe("ada");
        expect(session.data).toEqual({ user: "ada", __flash_notice__: "saved" });
        expect(session.has("notice")).toBe(true);
        expect(session.get("notice")).toBe("saved");
        expect(session.has("notice"), "a flash is gone after one get").toBe(false);
        expect(session.get("notice")).toBeUndefined();
        session.unset("user");
        expect(session.has("user")).toBe(false);
        expect(session.get("user")).toBeUndefined();
        expect(session.data).toEqual({});
      });

      it("keeps values across a round trip through commitSession and getSession", async () => {
        const { storage } = await open();
        const values = {
          text: "日本語 and ascii",
          count: 3,
          on: true,
          nothing: null,
          nested: { list: [1, "two", { three: 3 }] },
          removed: "soon",
        };
        const first = await storage.getSession(null);
        for (const [key, value] of Object.entries(values)) first.set(key, value);
        const second = await storage.getSession(cookieOf(await storage.commitSession(first)));
        expect(second.data).toEqual(values);

        second.unset("removed");
        second.set("count", 4);
        const third = await storage.getSession(cookieOf(await storage.commitSession(second)));
        expect(third.get("count")).toBe(4);
        expect(third.has("removed")).toBe(false);
        expect(third.get("nested")).toEqual(values.nested);
      });

      it("shows a flash on the next request only", async () => {
        const { storage } = await open();
        const first = await storage.getSession(null);
        first.flash("notice", "saved");
        first.set("user", "ada");
        const second = await storage.getSession(cookieOf(await storage.commitSession(first)));
        expect(second.get("notice")).toBe("saved");
        const third = await storage.getSession(cookieOf(await storage.commitSession(second)));
        expect(third.has("notice")).toBe(false);
        expect(third.get("notice")).toBeUndefined();
        expect(third.get("user")).toBe("ada");
      });
    });

    describe("commitSession", () => {
      it("sends HttpOnly, SameSite=Lax, Path=/ and SESSION_MAX_AGE as Max-Age by default", async () => {
        const { storage } = await open();
        const session = await storage.getSession(null);
        session.set("user", "ada");
        const header = await storage.commitSession(session);
        expect(header).toMatch(/^__session=[^;]+/);
        const attributes = attributesOf(header);
        expect(attributes.get("path")).toBe("/");
        expect(attributes.has("httponly")).toBe(true);
        expect(attributes.get("samesite")).toBe("Lax");
        expect(attributes.get("max-age")).toBe(String(DEFAULT_MAX_AGE));
        expect(attributes.has("secure"), "not Secure outside production").toBe(false);
        expect(attributes.has("domain"), "host-only").toBe(false);
      });

      it("gives a session committed with no changes a cookie that opens it", async () => {
        const { storage, store } = await open();
        const header = await storage.commitSession(await storage.getSession(null));
        expect(browserExpiry(header)!, "not a clearing cookie").toBeGreaterThan(Date.now());
        const reopened = await storage.getSession(cookieOf(header));
        expect(reopened.data).toEqual({});
        if (serverSide) {
          expect(reopened.id, "the record was created").toMatch(ID);
          expect((await store!.read(reopened.id))?.data).toEqual({});
        }
        reopened.set("later", 1);
        const after = await storage.getSession(cookieOf(await storage.commitSession(reopened)));
        expect(after.get("later")).toBe(1);
        expect(after.id, "the same session, not a new one").toBe(reopened.id);
      });

      const expires = wholeSecondsFromNow(3600);
      it.each<[string, CookieSerializeOptions, (attributes: Map<string, string>, header: string) => void]>([
        ["maxAge", { maxAge: 120 }, (a) => expect(a.get("max-age")).toBe("120")],
        [
          "expires",
          { expires },
          (a, header) => {
            expect(a.get("expires")).toBe(expires.toUTCString());
            expectNear(browserExpiry(header), expires.getTime(), 2000, "no longer Max-Age overrides it");
          },
        ],
        ["secure", { secure: true }, (a) => expect(a.has("secure")).toBe(true)],
        ["sameSite", { sameSite: "strict" }, (a) => expect(a.get("samesite")).toBe("Strict")],
        ["domain", { domain: "example.com" }, (a) => expect(a.get("domain")).toBe("example.com")],
        ["path", { path: "/app" }, (a) => expect(a.get("path")).toBe("/app")],
        ["httpOnly", { httpOnly: false }, (a) => expect(a.has("httponly")).toBe(false)],
        ["priority", { priority: "high" }, (a) => expect(a.get("priority")).toBe("High")],
        ["partitioned", { partitioned: true, secure: true }, (a) => expect(a.has("partitioned")).toBe(true)],
      ])("honours the serialize option %s in the Set-Cookie", async (_name, options, check) => {
        const { storage } = await open();
        const session = await storage.getSession(null);
        session.set("user", "ada");
        const header = await storage.commitSession(session, options);
        check(attributesOf(header), header);
        expect((await storage.getSession(cookieOf(header))).get("user"), "and the cookie still opens it").toBe("ada");
      });

      // A session committed with a lifetime, as a new session or as one the store already held.
      async function commitWith(storage: Storage, kind: string, options: CookieSerializeOptions) {
        let session = await storage.getSession(null);
        if (kind === "a stored session") {
          session = await storage.getSession(await saved(storage, { user: "ada" }));
          expect(session.get("user")).toBe("ada");
        }
        session.set("user", "grace");
        const committedAt = Date.now();
        const header = await storage.commitSession(session, options);
        return { header, committedAt, cookie: cookieOf(header) };
      }

      describe.each(["a new session", "a stored session"])("{ maxAge } on %s", (kind) => {
        it("sends that Max-Age", async () => {
          const { storage } = await open();
          const { header } = await commitWith(storage, kind, { maxAge: 60 });
          expect(attributesOf(header).get("max-age")).toBe("60");
        });

        it.runIf(serverSide)("makes the store keep the session exactly that long", async () => {
          const { storage, store } = await open();
          const { cookie, committedAt } = await commitWith(storage, kind, { maxAge: 60 });
          const stored = await storedFor(storage, store, cookie);
          expect(stored?.data).toEqual({ user: "grace" });
          expectNear(stored?.expires.getTime(), committedAt + 60_000, 2000, "the stored expiry");
        });

        it.runIf(fakeableClock)("opens the session until then and never after", async () => {
          const time = fakeDate();
          const { storage } = await open();
          const { cookie } = await commitWith(storage, kind, { maxAge: 60 });
          time.advance(59);
          expect((await storage.getSession(cookie)).get("user")).toBe("grace");
          time.advance(2);
          expect((await storage.getSession(cookie)).data, "a cookie replayed past its Max-Age").toEqual({});
        });
      });

      describe.each(["a new session", "a stored session"])("{ expires } on %s", (kind) => {
        it("sends that Expires, and no Max-Age that outlives it", async () => {
          const { storage } = await open();
          const expires = wholeSecondsFromNow(120);
          const { header, committedAt } = await commitWith(storage, kind, { expires });
          expect(attributesOf(header).get("expires")).toBe(expires.toUTCString());
          expectNear(browserExpiry(header, committedAt), expires.getTime(), 2000, "what the browser keeps");
        });

        it.runIf(serverSide)("makes the store keep the session until then", async () => {
          const { storage, store } = await open();
          const expires = wholeSecondsFromNow(120);
          const { cookie } = await commitWith(storage, kind, { expires });
          const stored = await storedFor(storage, store, cookie);
          expect(stored?.data).toEqual({ user: "grace" });
          expectNear(stored?.expires.getTime(), expires.getTime(), 1000, "the stored expiry");
        });

        it.runIf(fakeableClock)("opens the session until then and never after", async () => {
          const time = fakeDate();
          const { storage } = await open();
          const expires = wholeSecondsFromNow(120);
          const { cookie } = await commitWith(storage, kind, { expires });
          time.advance((expires.getTime() - Date.now()) / 1000 - 1);
          expect((await storage.getSession(cookie)).get("user")).toBe("grace");
          time.advance(2);
          expect((await storage.getSession(cookie)).data, "a cookie replayed past its Expires").toEqual({});
        });
      });

      it.runIf(fakeableClock)(
        "without options, opens the session for SESSION_MAX_AGE and never after (the cookie storage's payload carries its expiry)",
        async () => {
          const time = fakeDate();
          const { storage } = await open();
          const cookie = await saved(storage, { user: "ada" });
          time.advance(DEFAULT_MAX_AGE - 1);
          expect((await storage.getSession(cookie)).get("user")).toBe("ada");
          time.advance(2);
          expect((await storage.getSession(cookie)).data, "a cookie replayed past its lifetime").toEqual({});
        },
      );

      it("accepts a session made by Remix's createSession: its data, flashes too, is written", async () => {
        const { storage } = await open();
        const foreign = createSession<Record<string, unknown>>({ user: "ada", theme: "dark" });
        foreign.flash("notice", "welcome");
        expect(isSession(foreign)).toBe(true);
        const header = await storage.commitSession(foreign);
        const reopened = await storage.getSession(cookieOf(header));
        expect(reopened.get("user")).toBe("ada");
        expect(reopened.get("theme")).toBe("dark");
        expect(reopened.get("notice")).toBe("welcome");
        if (serverSide) expect(reopened.id).toMatch(ID);
        const next = await storage.getSession(cookieOf(await storage.commitSession(reopened)));
        expect(next.has("notice"), "the flash was read once").toBe(false);
      });

      it("opens a cookie signed with an older listed secret and signs the next one with the first secret", async () => {
        const { storage: old, withSecrets } = await open();
        const oldCookie = await saved(old, { user: "ada" });
        const rotated = withSecrets(["new-secret-0123456789", SECRET]);
        const session = await rotated.getSession(oldCookie);
        expect(session.get("user")).toBe("ada");
        const newCookie = cookieOf(await rotated.commitSession(session));
        expect(newCookie).not.toBe(oldCookie);

        const retired = withSecrets(["new-secret-0123456789"]);
        expect((await retired.getSession(newCookie)).get("user")).toBe("ada");
        expect((await retired.getSession(oldCookie)).data, "the old secret is no longer listed").toEqual({});
      });
    });

    describe("destroySession", () => {
      it("sends a cookie that expired at the epoch, on Path=/, with no Max-Age", async () => {
        const { storage } = await open();
        const session = await storage.getSession(await saved(storage, { user: "ada" }));
        const header = await storage.destroySession(session);
        expect(header).toMatch(/^__session=;/);
        const attributes = attributesOf(header);
        expect(attributes.get("expires")).toBe("Thu, 01 Jan 1970 00:00:00 GMT");
        expect(attributes.get("path")).toBe("/");
        expect(attributes.has("max-age")).toBe(false);
      });

      it("clears the cookie on the Domain and Path passed to it", async () => {
        const { storage } = await open();
        const session = await storage.getSession(await saved(storage, { user: "ada" }));
        const header = await storage.destroySession(session, { domain: "example.com", path: "/app" });
        const attributes = attributesOf(header);
        expect(attributes.get("domain")).toBe("example.com");
        expect(attributes.get("path")).toBe("/app");
        expect(attributes.get("expires")).toBe("Thu, 01 Jan 1970 00:00:00 GMT");
        expect(attributes.has("max-age")).toBe(false);
      });

      it.runIf(serverSide)("deletes the stored session: its old cookie opens an empty session", async () => {
        const { storage, store } = await open();
        const cookie = await saved(storage, { user: "ada" });
        const session = await storage.getSession(cookie);
        const { id } = session;
        await storage.destroySession(session);
        expect(await store!.read(id)).toBeNull();
        expect((await storage.getSession(cookie)).data).toEqual({});
      });

      it("accepts a session that was never saved, and deletes no other session", async () => {
        const { storage } = await open();
        const other = await saved(storage, { user: "ada" });
        const header = await storage.destroySession(await storage.getSession(null));
        expect(attributesOf(header).get("expires")).toBe("Thu, 01 Jan 1970 00:00:00 GMT");
        expect((await storage.getSession(other)).get("user")).toBe("ada");
      });

      it("accepts a session made by Remix's createSession", async () => {
        const { storage } = await open();
        const header = await storage.destroySession(createSession({ user: "ada" }));
        expect(header).toMatch(/^__session=;/);
        expect(attributesOf(header).get("expires")).toBe("Thu, 01 Jan 1970 00:00:00 GMT");
      });
    });

    // Where this stack differs from Remix on purpose (docs/remix-compatibility.md).
    describe("intended differences", () => {
      it.runIf(serverSide)(
        "merges commits: two requests of one session that each set a different key keep both",
        async () => {
          const { storage } = await open();
          const cookie = await saved(storage, { user: "ada" });
          const first = await storage.getSession(cookie);
          const second = await storage.getSession(cookie);
          first.set("theme", "dark");
          second.set("density", "compact");
          await storage.commitSession(first);
          await storage.commitSession(second);
          // Remix's createSessionStorage writes each session whole: the second commit would drop "theme".
          expect((await storage.getSession(cookie)).data).toEqual({ user: "ada", theme: "dark", density: "compact" });
        },
      );

      it.runIf(!serverSide)("cannot merge: each commit's cookie carries its own whole copy", async () => {
        const { storage } = await open();
        const cookie = await saved(storage, { user: "ada" });
        const first = await storage.getSession(cookie);
        const second = await storage.getSession(cookie);
        first.set("theme", "dark");
        second.set("density", "compact");
        await storage.commitSession(first);
        const last = cookieOf(await storage.commitSession(second));
        expect((await storage.getSession(last)).data).toEqual({ user: "ada", density: "compact" });
      });

      it.runIf(serverSide)(
        "refuses the commit of a session whose stored record is gone (signed out meanwhile), and does not recreate it",
        async () => {
          const { storage, store } = await open();
          const cookie = await saved(storage, { user: "ada" });
          const late = await storage.getSession(cookie);
          const { id } = late;
          await storage.destroySession(await storage.getSession(cookie));
          late.set("theme", "dark");
          await expect(storage.commitSession(late)).rejects.toThrow();
          expect(await store!.read(id)).toBeNull();
          expect((await storage.getSession(cookie)).data).toEqual({});
        },
      );

      it.runIf(!serverSide)("refuses a session whose Set-Cookie would pass 4096 bytes", async () => {
        const { storage } = await open();
        const session = await storage.getSession(null);
        session.set("big", "a".repeat(4097));
        await expect(storage.commitSession(session)).rejects.toThrow(SessionTooLargeError);
      });

      it.runIf(serverSide)(
        "refuses a session over SESSION_MAX_BYTES (64 KiB) and leaves the stored data as it was",
        async () => {
          const { storage } = await open();
          const cookie = await saved(storage, { user: "ada", note: "x".repeat(8 * 1024) });
          const session = await storage.getSession(cookie);
          session.set("big", "x".repeat(SETTINGS.maxBytes));
          await expect(storage.commitSession(session)).rejects.toThrow(SessionTooLargeError);
          expect((await storage.getSession(cookie)).data).toEqual({ user: "ada", note: "x".repeat(8 * 1024) });
        },
      );

      it("commitSession always sends a cookie; the automatic save sends one only when the cookie must change", async () => {
        const { storage } = await open();
        const cookie = await saved(storage, { user: "ada" });
        expect(await storage.save(await storage.getSession(cookie))).toBeNull();
        expect(await storage.save(await storage.getSession(null))).toBeNull();
        expect(await storage.commitSession(await storage.getSession(cookie))).toMatch(/^__session=[^;]+/);
        const changed = await storage.getSession(cookie);
        changed.set("theme", "dark");
        const header = await storage.save(changed);
        // A server-side write keeps the id, lifetime and expiry: the browser's cookie still opens it,
        // and no late answer can put an id back that a sign-in meanwhile replaced.
        if (serverSide) expect(header).toBeNull();
        expect((await storage.getSession(header ? cookieOf(header) : cookie)).data).toEqual({
          user: "ada",
          theme: "dark",
        });
      });

      it("keeps the lifetime commitSession chose for the automatic saves that follow", async () => {
        const { storage, store } = await open();
        const first = await storage.getSession(null);
        first.set("user", "ada");
        const cookie = cookieOf(await storage.commitSession(first, { maxAge: 60 }));
        const later = await storage.getSession(cookie);
        later.set("theme", "dark");
        const savedAt = Date.now();
        let header = await storage.save(later);
        if (serverSide) {
          // The write keeps the expiry; the cookie goes out again once rolling expiry is due.
          expect(header).toBeNull();
          if (!fakeableClock) return;
          fakeDate().advance(31);
          header = await storage.save(await storage.getSession(cookie));
        }
        // Remix has no automatic save; its next commitSession without options goes back to the default.
        expect(attributesOf(header!).get("max-age")).toBe("60");
        expect((await storage.getSession(cookieOf(header!))).data).toEqual({ user: "ada", theme: "dark" });
        if (serverSide) {
          const stored = await storedFor(storage, store, cookieOf(header!));
          expectNear(stored?.expires.getTime(), Date.now() + 60_000, 2000, "the stored expiry");
        } else {
          expectNear(Date.now(), savedAt, 2000, "the clock");
        }
      });

      it("after a commit, the session object carries the id its cookie opens", async () => {
        const { storage } = await open();
        const session = await storage.getSession(null);
        session.set("user", "ada");
        const header = await storage.commitSession(session);
        // Remix's createSessionStorage leaves a new session's object at id "" after commitSession.
        const reopened = await storage.getSession(cookieOf(header));
        expect(session.id).toBe(reopened.id);
        if (serverSide) expect(session.id).toMatch(ID);
      });

      it.runIf(!serverSide)(
        "does not open a payload without a signed expiry, such as one Remix's createCookieSessionStorage wrote",
        async () => {
          const { storage } = await open();
          const remix = createCookieSessionStorage({ cookie: { name: "__session", secrets: [SECRET] } });
          const theirs = await remix.getSession();
          theirs.set("user", "ada");
          const cookie = cookieOf(await remix.commitSession(theirs));
          expect((await remix.getSession(cookie)).get("user"), "Remix opens it, forever").toBe("ada");
          expect((await storage.getSession(cookie)).data).toEqual({});
        },
      );

      it("refuses to build a storage without a signing secret (Remix only warns)", async () => {
        const store = await storageCase.createStore();
        try {
          expect(() => createAppSessionStorage(createCookie, { ...SETTINGS, secrets: [] }, store)).toThrow(/secret/);
        } finally {
          await store?.close();
        }
      });

      it("after a hand commitSession, the automatic save has nothing left to send", async () => {
        const { storage } = await open();
        const session = await storage.getSession(await saved(storage, { user: "ada" }));
        session.set("theme", "dark");
        const header = await storage.commitSession(session);
        expect(await storage.save(session)).toBeNull();
        expect((await storage.getSession(cookieOf(header))).get("theme")).toBe("dark");
      });
    });
  });
}

describeRemixCompatibility(LOCAL_CASES);

describeWithRedis("Remix compatibility over Redis", (url) => {
  const prefix = uniquePrefix("remix-compat");
  afterAll(() => deleteKeys(url, prefix));
  describeRemixCompatibility([
    {
      name: "redis",
      serverSide: true,
      fakeableClock: false,
      createStore: () => RedisSessionStore.connect({ url, prefix, maxSessionBytes }),
    },
  ]);
});
