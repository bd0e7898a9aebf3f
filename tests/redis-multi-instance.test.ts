import { afterAll, beforeAll, expect, it } from "vitest";

import { AppProcess } from "./support/app-process";
import { Browser } from "./support/browser";
import { deleteKeys, describeWithRedis, uniquePrefix } from "./support/redis";

/**
 * Two production app processes (`tsx server.ts`, as `npm start` runs it) share one Redis: what one
 * browser does on either instance lands in one session, and concurrent commits merge.
 */
describeWithRedis("two app instances sharing one Redis", (url) => {
  const prefix = uniquePrefix("multi-instance");
  const env = { SESSION_STORE: "redis", REDIS_URL: url, SESSION_REDIS_PREFIX: prefix };
  let instances: AppProcess[] = [];

  beforeAll(async () => {
    instances = await Promise.all([AppProcess.start(env), AppProcess.start(env)]);
  }, 120_000);
  afterAll(async () => {
    const codes = await Promise.all(instances.map((instance) => instance.stop()));
    await deleteKeys(url, prefix);
    // SIGTERM closes the HTTP server and the Redis connection, then exits 0.
    expect(codes).toEqual([0, 0]);
  });

  it("reads on one instance the session written on the other", async () => {
    const [one, two] = instances;
    const browser = new Browser(one.url);
    expect((await browser.fetch("/lab/mark/from-one")).status).toBe(200);
    const cookie = browser.cookieHeader;

    // The same cookie, sent to the other instance.
    const onTwo = await fetch(`${two.url}/lab/session`, { headers: { Cookie: cookie } });
    expect(Object.keys(await onTwo.json())).toEqual(["mark:from-one"]);

    expect((await fetch(`${two.url}/lab/mark/from-two`, { headers: { Cookie: cookie } })).status).toBe(200);
    expect(Object.keys(await browser.sessionData()).sort()).toEqual(["mark:from-one", "mark:from-two"]);
  });

  it("keeps all 50 keys when one browser sends 50 concurrent requests spread over both instances", async () => {
    const [one, two] = instances;
    const browser = new Browser(one.url);
    expect((await browser.fetch("/lab/mark/first")).status).toBe(200);
    const cookie = browser.cookieHeader;

    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        fetch(`${(i % 2 ? one : two).url}/lab/mark/k${i}`, { headers: { Cookie: cookie } }),
      ),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(50);

    const data = await browser.sessionData();
    const kept = Array.from({ length: 50 }, (_, i) => `mark:k${i}` in data).filter(Boolean).length;
    console.log(`redis multi-instance: ${kept}/50 keys kept across 2 instances`);
    expect(kept).toBe(50);
    expect(data).toHaveProperty("mark:first");
  });
});
