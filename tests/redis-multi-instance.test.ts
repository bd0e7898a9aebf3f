import { afterAll, beforeAll, expect, it } from "vitest";

import { Browser } from "../harness/browser";
import { ID_TAG_LENGTH } from "../session/core/id";

import { AppProcess } from "./support/app-process";
import { deleteKeys, describeWithRedis, uniquePrefix } from "./support/redis";
import { clusterPrefix, deleteClusterKeys, describeWithRedisCluster } from "./support/redis-cluster";

/**
 * Two production app processes (`tsx server.ts`, as `npm start` runs it) share one Redis, or one
 * Redis Cluster: what one browser does on either instance lands in one session, and concurrent
 * commits merge.
 */
describeWithRedis("two app instances sharing one Redis", (url) => {
  const prefix = uniquePrefix("multi-instance");
  twoInstances({ SESSION_STORE: "redis", REDIS_URL: url, SESSION_REDIS_PREFIX: prefix }, () => deleteKeys(url, prefix));
});

describeWithRedisCluster("two app instances sharing one Redis Cluster", (urls) => {
  const prefix = clusterPrefix("multi-instance");
  const env = {
    SESSION_STORE: "redis",
    REDIS_CLUSTER: "true",
    REDIS_URL: urls.join(","),
    SESSION_REDIS_PREFIX: prefix,
  };
  twoInstances(env, async () => {
    await deleteClusterKeys(urls, prefix);
  });
});

function twoInstances(env: Record<string, string>, deleteKeysAfter: () => Promise<void>): void {
  let instances: AppProcess[] = [];

  beforeAll(async () => {
    instances = await Promise.all([AppProcess.start(env), AppProcess.start(env)]);
  }, 120_000);
  afterAll(async () => {
    const codes = await Promise.all(instances.map((instance) => instance.stop()));
    await deleteKeysAfter();
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

  it("signs in on one instance and serves the new id on the other, the old id worth nothing", async () => {
    const [one, two] = instances;
    const browser = new Browser(one.url);
    expect((await browser.fetch("/lab/mark/before-sign-in")).status).toBe(200);
    const planted = browser.cookieHeader;

    // The sign-in regenerates the id: one commit that moves the session between two keys.
    const signIn = await fetch(`${two.url}/login`, {
      method: "POST",
      headers: { Cookie: planted, Origin: two.url },
      body: new URLSearchParams({ name: "ada" }),
      redirect: "manual",
    });
    expect(signIn.status).toBe(302);
    browser.store(signIn);
    const [before, after] = [sessionIdOf(planted), sessionIdOf(browser.cookieHeader)];
    expect(after).not.toBe(before);
    // Only a cluster places sessions by the id's tag, so only there does the new id keep it.
    if (env.REDIS_CLUSTER === "true") expect(after.slice(0, ID_TAG_LENGTH)).toBe(before.slice(0, ID_TAG_LENGTH));
    else expect(after.slice(0, ID_TAG_LENGTH)).not.toBe(before.slice(0, ID_TAG_LENGTH));

    expect(await browser.sessionData()).toMatchObject({
      "mark:before-sign-in": expect.any(String),
      user: { name: "ada" },
    });
    const withOld = await fetch(`${one.url}/lab/session`, { headers: { Cookie: planted } });
    expect(await withOld.json()).toEqual({});
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
    console.log(
      `redis multi-instance (${env.REDIS_CLUSTER ? "cluster" : "one Redis"}): ${kept}/50 keys kept across 2 instances`,
    );
    expect(kept).toBe(50);
    expect(data).toHaveProperty("mark:first");
  });
}

/** The session id inside a `Cookie` header that holds the session cookie alone (Remix's signed, base64 JSON value). */
function sessionIdOf(cookieHeader: string): string {
  const value = decodeURIComponent(cookieHeader.slice(cookieHeader.indexOf("=") + 1));
  return JSON.parse(atob(value.slice(0, value.lastIndexOf("."))));
}
