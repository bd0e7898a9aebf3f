import crypto from "node:crypto";
import path from "node:path";

import Database from "better-sqlite3";
import { createClient } from "redis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import { Browser } from "../harness/browser";

import { dataUrl, readData, SINGLE_FETCH } from "./support/data-requests";
import { captureLogs } from "./support/logs";
import { deleteKeys, REDIS_URL, uniquePrefix } from "./support/redis";
import { startTestServer, type TestServer } from "./support/server";
import { startSlowPost, type SlowPost } from "./support/slow-post";

/**
 * Races on a session's identity (sign in, sign out, expiry) against requests that read the session
 * before it changed and commit after. Rules under test:
 * - a session read from the store is only ever updated, never recreated: when its id is gone at
 *   commit time, the request's changes are dropped and no session cookie goes out (a GET keeps its
 *   status; any other method becomes a 409);
 * - a commit is one atomic store operation: a refused or failed sign-in moves nothing.
 *
 * The overlap is real, never a sleep: a slow form post (tests/support/slow-post.ts) holds its body
 * back until the competing request has finished; GET /lab/hold holds a GET the same way.
 */

const STORES = ["sqlite", "memory", ...(REDIS_URL ? (["redis"] as const) : [])];
const SESSION = "__session";

/** The `__session` value a response sets, "" when it clears it, undefined when it sets none. */
function sessionValue(response: Response): string | undefined {
  const header = response.headers.getSetCookie().find((value) => value.startsWith(`${SESSION}=`));
  return header === undefined ? undefined : header.slice(SESSION.length + 1).split(";")[0];
}

/** The session id inside a signed cookie value of a server-side store. */
function idOf(value: string): string {
  const decoded = decodeURIComponent(value);
  return JSON.parse(Buffer.from(decoded.slice(0, decoded.lastIndexOf(".")), "base64").toString("utf8")) as string;
}

const unique = (label: string) => `${label}-${crypto.randomBytes(4).toString("hex")}`;

// Each slow post pushes tens of MB through loopback (see slow-post.ts): allow for a busy machine.
describe.each(STORES)("identity races, %s store", { timeout: 60_000 }, (store) => {
  // Each refused commit is logged, as in production; the tests assert on the answers instead.
  captureLogs();
  const prefix = uniquePrefix("identity-races");
  const envFor = (extra: Record<string, string> = {}) => ({
    SESSION_STORE: store,
    ...(store === "redis" ? { REDIS_URL: REDIS_URL!, SESSION_REDIS_PREFIX: prefix } : {}),
    ...extra,
  });

  let server: TestServer;
  /** SESSION_MAX_BYTES=2048, for the sign-in refused for size. */
  let small: TestServer;
  /** SESSION_ROLLING_INTERVAL=1, so a GET a second after a write commits a rolling touch. */
  let rolling: TestServer;
  let redis: ReturnType<typeof createClient> | undefined;

  beforeAll(async () => {
    [server, small, rolling] = await Promise.all([
      startTestServer({ env: envFor() }),
      startTestServer({ env: envFor({ SESSION_MAX_BYTES: "2048" }) }),
      startTestServer({ env: envFor({ SESSION_ROLLING_INTERVAL: "1" }) }),
    ]);
    if (store === "redis") {
      redis = createClient({ url: REDIS_URL });
      redis.on("error", () => {});
      await redis.connect();
    }
  });
  afterAll(async () => {
    await Promise.all([server?.close(), small?.close(), rolling?.close()]);
    redis?.destroy();
    if (store === "redis") await deleteKeys(REDIS_URL!, prefix);
  });

  const slowPosts: SlowPost[] = [];
  afterEach(() => {
    for (const post of slowPosts.splice(0)) post.abort();
  });
  const slowPost = async (on: TestServer, path: string, cookie: string, form: Record<string, string>) => {
    const post = await startSlowPost(on.url, path, { cookie, form });
    slowPosts.push(post);
    return post;
  };

  const dataOf = async (on: TestServer, cookie: string) => {
    const response = await fetch(new URL("/lab/session", on.url), { headers: { Cookie: cookie } });
    return (await response.json()) as Record<string, unknown>;
  };

  /** A browser with some pre-login data; returns it and its cookie as sent before the race. */
  async function browserWithData(on: TestServer, path = "/lab/mark/pre") {
    const browser = new Browser(on.url);
    expect((await browser.fetch(path)).status).toBe(200);
    const value = browser.cookie(SESSION);
    expect(value, "the browser has a session").toBeDefined();
    const before = await browser.sessionData();
    expect(Object.keys(before).length).toBeGreaterThan(0);
    return { browser, value: value!, cookie: `${SESSION}=${value}`, before };
  }

  /** Every stored session's data as text, or null where the test cannot see the store (memory). */
  async function storedTexts(on: TestServer): Promise<string[] | null> {
    if (store === "sqlite") {
      const db = new Database(path.join(on.config.dataDir, "sessions.sqlite"), { readonly: true, fileMustExist: true });
      try {
        return db
          .prepare<[], { data: string }>("SELECT data FROM sessions")
          .all()
          .map((row) => row.data);
      } finally {
        db.close();
      }
    }
    if (store === "redis") {
      const texts: string[] = [];
      for await (const keys of redis!.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
        for (const key of keys) texts.push(JSON.stringify(await redis!.hGetAll(key)));
      }
      return texts;
    }
    return null;
  }

  /**
   * What the interrupted request wrote is in no session the store holds (where the test can see the
   * store), leaving out sessions stored unchanged since `baseline` was taken (earlier tests' rows).
   */
  async function expectNowhere(on: TestServer, text: string, baseline: string[] | null) {
    const texts = await storedTexts(on);
    if (texts === null) return;
    const changed = texts.filter((data) => !baseline?.includes(data));
    const holding = changed.filter((data) => data.includes(text));
    expect.soft(holding, `sessions holding "${text}"`).toEqual([]);
  }

  /** No response of the race hands the pre-race id back. */
  function expectNoOldId(oldValue: string, responses: Record<string, Response>) {
    for (const [label, response] of Object.entries(responses)) {
      const value = sessionValue(response);
      if (value) expect.soft(idOf(value), `${label} hands back the pre-race id`).not.toBe(idOf(oldValue));
    }
  }

  it("a slow form post racing sign-out gets a 409 and no cookie, and the signed-out id stays dead", async () => {
    const { browser, value, cookie } = await browserWithData(server);
    const baseline = await storedTexts(server);
    const post = await slowPost(server, "/preferences", cookie, { theme: "dark", density: "compact" });

    const signOut = await browser.fetch("/logout", { method: "POST", body: new URLSearchParams() });
    expect(signOut.status).toBe(302);
    expect(sessionValue(signOut), "sign-out clears the cookie").toBe("");

    const late = await post.finish();
    browser.store(late);
    expect.soft(late.status, "the post that read the signed-out session").toBe(409);
    expect.soft(late.headers.get("Content-Type") ?? "", "a document gets a page").toMatch(/^text\/html/);
    expect.soft(sessionValue(late), "the 409 sets no session cookie").toBeUndefined();
    expectNoOldId(value, { signOut, late });

    expect.soft(await dataOf(server, cookie), "the old id opens nothing").toEqual({});
    expect.soft(browser.cookie(SESSION), "the browser stays signed out").toBeUndefined();
    await expectNowhere(server, "Preferences saved.", baseline);
  });

  it("a slow form post racing sign-in gets a 409 and no cookie; the browser keeps the signed-in session", async () => {
    const { browser, value, cookie, before } = await browserWithData(server);
    const baseline = await storedTexts(server);
    const name = unique("Racer");
    const post = await slowPost(server, "/preferences", cookie, { theme: "dark", density: "compact" });

    const signIn = await browser.fetch("/login", { method: "POST", body: new URLSearchParams({ name }) });
    expect(signIn.status).toBe(302);
    const signedIn = sessionValue(signIn);
    expect(signedIn, "sign-in hands out a new cookie").toBeTruthy();

    const late = await post.finish();
    browser.store(late);
    expect.soft(late.status, "the post that read the pre-login session").toBe(409);
    expect.soft(sessionValue(late), "the 409 sets no session cookie").toBeUndefined();
    expectNoOldId(value, { signIn, late });

    expect.soft(browser.cookie(SESSION), "the browser ends on the sign-in's cookie").toBe(signedIn);
    const after = await dataOf(server, `${SESSION}=${signedIn}`);
    expect.soft(after, "the sign-in and the pre-login data").toMatchObject({ ...before, user: { name } });
    expect.soft(after, "nothing of the refused post").not.toHaveProperty("theme");
    expect.soft(after).not.toHaveProperty("density");
    expect.soft(await dataOf(server, cookie), "the old id opens nothing").toEqual({});
    await expectNowhere(server, "Preferences saved.", baseline);
  });

  it("a sign-in refused for size answers 500 with no cookie and moves nothing: the old id keeps all its data", async () => {
    const { browser, value, cookie, before } = await browserWithData(small, "/lab/write?key=fill&size=1880");
    const baseline = await storedTexts(small);
    expect(Buffer.byteLength(JSON.stringify(before))).toBeGreaterThan(1850);
    const name = unique("A-rather-long-name-that-pushes-it-over").padEnd(50, "x");

    const signIn = await browser.fetch("/login", { method: "POST", body: new URLSearchParams({ name }) });
    expect.soft(signIn.status, "the sign-in outgrew the limit").toBe(500);
    expect.soft(sessionValue(signIn), "the 500 sets no session cookie").toBeUndefined();
    expectNoOldId(value, { signIn });

    expect.soft(await dataOf(small, cookie), "the old id still opens the whole pre-login data").toEqual(before);
    expect.soft(browser.cookie(SESSION), "the browser keeps its cookie").toBe(value);
    await expectNowhere(small, name, baseline);
  });

  it.runIf(store === "sqlite")(
    "a store failure in the middle of a sign-in changes nothing: the old id keeps the pre-login data",
    async () => {
      const { browser, value, cookie, before } = await browserWithData(server);
      const baseline = await storedTexts(server);
      // The rename (id and expiry only) passes; writing data that names "Poisoned" fails.
      const db = new Database(path.join(server.config.dataDir, "sessions.sqlite"));
      try {
        db.exec(`
          CREATE TRIGGER poison_update BEFORE UPDATE ON sessions WHEN new.data LIKE '%Poisoned%'
            BEGIN SELECT RAISE(ABORT, 'injected failure'); END;
          CREATE TRIGGER poison_insert BEFORE INSERT ON sessions WHEN new.data LIKE '%Poisoned%'
            BEGIN SELECT RAISE(ABORT, 'injected failure'); END;
        `);
        const signIn = await browser.fetch("/login", {
          method: "POST",
          body: new URLSearchParams({ name: "Poisoned" }),
        });
        expect.soft(signIn.status, "the failed sign-in").toBeGreaterThanOrEqual(500);
        expect.soft(sessionValue(signIn), "the failure sets no session cookie").toBeUndefined();
        expectNoOldId(value, { signIn });

        expect.soft(await dataOf(server, cookie), "the old id still opens the pre-login data").toEqual(before);
        expect.soft(browser.cookie(SESSION), "the browser keeps its cookie").toBe(value);
        await expectNowhere(server, "Poisoned", baseline);
      } finally {
        db.exec("DROP TRIGGER IF EXISTS poison_update; DROP TRIGGER IF EXISTS poison_insert;");
        db.close();
      }
    },
  );

  it("two sign-ins at once: the second to commit gets a 409 and no cookie; the first keeps user and pre-login data", async () => {
    const { browser, value, cookie, before } = await browserWithData(server);
    const baseline = await storedTexts(server);
    const first = unique("First");
    const second = unique("Second");
    const one = await slowPost(server, "/login", cookie, { name: first });
    const two = await slowPost(server, "/login", cookie, { name: second });

    const signIn = await one.finish();
    browser.store(signIn);
    expect(signIn.status).toBe(302);
    const signedIn = sessionValue(signIn);
    expect(signedIn, "the first sign-in hands out a new cookie").toBeTruthy();

    const double = await two.finish();
    browser.store(double);
    expect.soft(double.status, "the second sign-in read a session that moved").toBe(409);
    expect.soft(sessionValue(double), "the 409 sets no session cookie").toBeUndefined();
    expectNoOldId(value, { signIn, double });

    expect.soft(browser.cookie(SESSION), "the browser ends on the first sign-in's cookie").toBe(signedIn);
    expect
      .soft(await dataOf(server, `${SESSION}=${signedIn}`), "the first sign-in and the pre-login data")
      .toMatchObject({ ...before, user: { name: first } });
    expect.soft(await dataOf(server, cookie), "the old id opens nothing").toEqual({});
    await expectNowhere(server, second, baseline);
  });

  it("a rolling-expiry touch racing sign-out answers 200 with no cookie and does not bring the id back", async () => {
    const { browser, value, cookie } = await browserWithData(rolling);
    // A clock condition, not an overlap: the touch is due once more than the interval (1 s) has passed.
    await new Promise((resolve) => setTimeout(resolve, 1200));

    const key = unique("touch");
    const held = browser.fetch(`/lab/hold?key=${key}`);
    const post = (form: Record<string, string>) =>
      fetch(new URL("/lab/hold", rolling.url), {
        method: "POST",
        headers: { Origin: rolling.url },
        body: new URLSearchParams(form),
      });
    // The hold is registered once its loader runs: the GET has read the session.
    expect((await post({ key, intent: "wait" })).status).toBe(200);

    const signOut = await browser.fetch("/logout", { method: "POST", body: new URLSearchParams() });
    expect(signOut.status).toBe(302);
    expect(sessionValue(signOut), "sign-out clears the cookie").toBe("");

    expect((await post({ key })).status).toBe(200);
    const late = await held;
    expect.soft(late.status, "the GET keeps its own status").toBe(200);
    expect.soft(await late.json()).toEqual({ released: key });
    expect.soft(sessionValue(late), "the touch of a signed-out session sets no cookie").toBeUndefined();
    expectNoOldId(value, { signOut, late });

    expect.soft(await dataOf(rolling, cookie), "the old id opens nothing").toEqual({});
    expect.soft(browser.cookie(SESSION), "the browser stays signed out").toBeUndefined();
  });

  it(`a slow data post (${SINGLE_FETCH ? ".data" : "?_data"}) racing sign-out gets a 409 the route's ErrorBoundary shows, and no cookie`, async () => {
    const { browser, value, cookie } = await browserWithData(server);
    const baseline = await storedTexts(server);
    const post = await slowPost(server, dataUrl("/preferences", "routes/preferences", "POST"), cookie, {
      theme: "dark",
      density: "compact",
    });

    const signOut = await browser.fetch("/logout", { method: "POST", body: new URLSearchParams() });
    expect(signOut.status).toBe(302);

    const late = await post.finish();
    browser.store(late);
    expect.soft(late.status, "the data post that read the signed-out session").toBe(409);
    // As Remix's client reads it: a thrown response (X-Remix-Catch and JSON, or single fetch's turbo-stream).
    expect.soft(await readData(late.clone(), "routes/preferences", "POST")).toEqual({
      kind: "error",
      status: 409,
      value: {
        error: "Your session changed while this request ran",
        detail: expect.stringContaining("nothing it changed was saved"),
      },
    });
    expect.soft(sessionValue(late), "the 409 sets no session cookie").toBeUndefined();
    expectNoOldId(value, { signOut, late });

    expect.soft(await dataOf(server, cookie), "the old id opens nothing").toEqual({});
    expect.soft(browser.cookie(SESSION), "the browser stays signed out").toBeUndefined();
    await expectNowhere(server, "Preferences saved.", baseline);
  });
});
