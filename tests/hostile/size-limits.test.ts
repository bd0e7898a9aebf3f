import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { Browser } from "../../harness/browser";
import { captureLogs } from "../support/logs";
import { deleteKeys, describeWithRedis, uniquePrefix } from "../support/redis";
import { startTestServer, type TestServer } from "../support/server";

/**
 * A session that outgrows its store is refused with a page (or, for Remix data requests, JSON) that
 * names the size and the limit; nothing is written and the session keeps working as it was.
 */

const LIMIT = 2048;

interface Case {
  store: "cookie" | "sqlite" | "memory" | "redis";
  env: Record<string, string>;
  /** The limit the error must name. */
  limit: number;
}

const CASES: Case[] = [
  { store: "cookie", env: { SESSION_STORE: "cookie" }, limit: 4096 },
  { store: "sqlite", env: { SESSION_STORE: "sqlite", SESSION_MAX_BYTES: String(LIMIT) }, limit: LIMIT },
  { store: "memory", env: { SESSION_STORE: "memory", SESSION_MAX_BYTES: String(LIMIT) }, limit: LIMIT },
];

function describeSizeLimit({ store, env, limit }: Case) {
  describe(`session size limit, ${store} store`, () => {
    const logs = captureLogs();
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({ env });
    });
    afterAll(() => server?.close());

    async function signedIn() {
      const browser = new Browser(server.url);
      expect((await browser.fetch("/lab/mark/before")).status).toBe(200);
      return { browser, before: await browser.sessionData(), cookie: browser.cookie("__session") };
    }

    it("answers a document request with a page naming the size and the limit, and keeps the previous cookie", async () => {
      const { browser, before, cookie } = await signedIn();
      const response = await browser.fetch("/lab/write?key=big&size=10000");
      expect(response.status).toBe(500);
      expect(response.headers.get("content-type")).toMatch(/^text\/html/);
      expect(response.headers.getSetCookie(), "nothing replaces the previous cookie").toEqual([]);
      const page = await response.text();
      expect(page).toContain("The session is too large");
      const [, size] = /would be (\d+) bytes, over the limit of (\d+) bytes/.exec(page) ?? [];
      expect(Number(size)).toBeGreaterThan(10_000);
      expect(page).toContain(`over the limit of ${limit} bytes`);
      expect(page).toContain("The change was not saved.");
      expect(logs.lines).toEqual([expect.stringMatching(/^\[session\] The session (cookie )?would be \d+ bytes/)]);

      // The session is as it was, under the same cookie.
      expect(browser.cookie("__session")).toBe(cookie);
      expect(await browser.sessionData()).toEqual(before);
      expect((await browser.fetch("/lab/mark/after")).status).toBe(200);
      expect(Object.keys(await browser.sessionData()).sort()).toEqual(["mark:after", "mark:before"]);
    });

    it("answers a Remix data request with JSON the route's ErrorBoundary can show", async () => {
      const { browser, before } = await signedIn();
      const response = await browser.fetch("/lab/write?key=big&size=10000&_data=routes/lab.write");
      expect(response.status).toBe(500);
      expect(response.headers.get("x-remix-catch")).toBe("yes");
      const body = (await response.json()) as { error: string; detail: string };
      expect(body.error).toBe("The session is too large");
      expect(body.detail).toMatch(new RegExp(`would be \\d+ bytes, over the limit of ${limit} bytes`));
      expect(await browser.sessionData()).toEqual(before);
    });

    if (store !== "cookie") {
      it("accepts a session of exactly the limit and refuses one byte more", async () => {
        const { browser, before } = await signedIn();
        // The stored JSON is {...before, "mark:big": "xxx"}: work out the value length that fills it exactly.
        const overhead = JSON.stringify({ ...before, "mark:big": "" }).length;
        const fits = limit - overhead;
        expect((await browser.fetch(`/lab/write?key=big&size=${fits + 1}`)).status).toBe(500);
        expect(await browser.sessionData()).toEqual(before);
        expect((await browser.fetch(`/lab/write?key=big&size=${fits}`)).status).toBe(200);
        expect(((await browser.sessionData())["mark:big"] as string).length).toBe(fits);
      });
    }
  });
}

CASES.forEach(describeSizeLimit);

describeWithRedis("session size limit with Redis", (url) => {
  const prefix = uniquePrefix("size-limit");
  afterAll(() => deleteKeys(url, prefix));
  describeSizeLimit({
    store: "redis",
    env: { SESSION_STORE: "redis", REDIS_URL: url, SESSION_REDIS_PREFIX: prefix, SESSION_MAX_BYTES: String(LIMIT) },
    limit: LIMIT,
  });
});
