import { afterAll, afterEach, beforeAll, expect, it } from "vitest";

import { Browser } from "../harness/browser";
import { emptyChanges } from "../session/core/changes";
import { createSessionId, ID_TAG_LENGTH } from "../session/core/id";
import { RedisSessionStore } from "auto-commit-session/stores/redis";
import { planFor, writeSession } from "../session/stores/store-contract";

import { AppProcess, runAppUntilExit } from "./support/app-process";
import { describeWithRedis, freePort, PrivateRedis, waitFor } from "./support/redis";
import { describeWithRedisCluster, PRIVATE_CLUSTER_PORTS, RedisClusterNodes } from "./support/redis-cluster";

const UNAVAILABLE_TITLE = "Sessions are unavailable right now";
const bounded = (ms: number) => ({ signal: AbortSignal.timeout(ms) });

/**
 * What the app does when its Redis goes away. Each test runs its own redis-server on a free port
 * (append-only, fsync on every write), so stopping it disturbs no other test.
 */
describeWithRedis("the Redis store through an outage", () => {
  let redis: PrivateRedis;
  const apps: AppProcess[] = [];

  beforeAll(async () => {
    redis = await PrivateRedis.start();
  });
  afterEach(async () => {
    redis.resume();
    if (!redis.running) await redis.restart();
    await Promise.all(apps.splice(0).map((app) => app.stop()));
  });
  afterAll(async () => {
    await redis.dispose();
  });

  it("answers 503 while Redis is down, stays up, and recovers without a restart once Redis is back", async () => {
    const app = await AppProcess.start({ SESSION_STORE: "redis", REDIS_URL: redis.url });
    apps.push(app);
    const browser = new Browser(app.url);
    expect((await browser.fetch("/lab/mark/before", bounded(10_000))).status).toBe(200);

    await redis.stop("SIGKILL");

    const during: number[] = [];
    let page = "";
    let retryAfter: string | null = null;
    const outageStarted = Date.now();
    for (let i = 0; i < 20; i++) {
      const response = await browser.fetch(`/lab/mark/during-${i}`, bounded(10_000));
      during.push(response.status);
      if (response.status === 503) {
        page = await response.text();
        retryAfter = response.headers.get("Retry-After");
      }
    }
    expect(during.filter((status) => status === 503)).toHaveLength(20);
    expect(page).toContain(`<h1 style="font-size:1.5rem">${UNAVAILABLE_TITLE}</h1>`);
    expect(page).toContain("Nothing was saved");
    expect(retryAfter).toBe("5");
    // Without a session cookie nothing is read from the store: a page that writes no session still works.
    expect((await fetch(`${app.url}/lab/ping`, bounded(10_000))).status).toBe(200);
    expect((await browser.fetch("/lab/ping", bounded(10_000))).status).toBe(503);
    expect(app.running).toBe(true);
    const outageMs = Date.now() - outageStarted;

    await redis.restart();
    const restarted = Date.now();
    let failedWhileReconnecting = 0;
    const recovered = await waitFor(
      async () => {
        const response = await browser.fetch("/lab/mark/after", bounded(10_000));
        if (response.status !== 200) failedWhileReconnecting++;
        return response.status === 200;
      },
      20_000,
      200,
    );
    expect(recovered).toBe(true);
    const recoveryMs = Date.now() - restarted;

    const data = await browser.sessionData();
    expect(Object.keys(data).sort()).toEqual(["mark:after", "mark:before"]);
    expect(app.running).toBe(true);
    expect(app.output).toMatch(/Redis at redis:\/\/127\.0\.0\.1:\d+ is unreachable/);
    expect(app.output).toContain("is reachable again");
    console.log(
      `redis outage: ${during.filter((s) => s === 503).length}/20 requests answered 503 while Redis was down ` +
        `(all 20 in ${outageMs} ms); ${failedWhileReconnecting} more 503 after Redis came back, served again ` +
        `${recoveryMs} ms after it did; app process stayed up`,
    );
  });

  it("answers 503 when Redis hangs (SIGSTOP) instead of waiting, and serves again once it resumes", async () => {
    const app = await AppProcess.start({ SESSION_STORE: "redis", REDIS_URL: redis.url });
    apps.push(app);
    const browser = new Browser(app.url);
    expect((await browser.fetch("/lab/mark/before", bounded(10_000))).status).toBe(200);

    redis.pause();
    const statuses: number[] = [];
    const took: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      statuses.push((await browser.fetch(`/lab/mark/hung-${i}`, bounded(15_000))).status);
      took.push(Date.now() - started);
    }
    expect(statuses).toEqual([503, 503, 503]);
    console.log(`redis hung (SIGSTOP): 3/3 requests answered 503, in ${took.join(", ")} ms`);
    expect(app.running).toBe(true);

    redis.resume();
    const recovered = await waitFor(
      async () => (await browser.fetch("/lab/mark/after", bounded(10_000))).status === 200,
      20_000,
      200,
    );
    expect(recovered).toBe(true);
    expect(Object.keys(await browser.sessionData())).toContain("mark:after");
  });

  it("says a commit Redis did not answer in time may or may not have been saved", async () => {
    const app = await AppProcess.start({ SESSION_STORE: "redis", REDIS_URL: redis.url });
    apps.push(app);
    const browser = new Browser(app.url);
    expect((await browser.fetch("/lab/mark/before", bounded(10_000))).status).toBe(200);

    // The held request reads the session now and writes its mark once released, while Redis hangs.
    const held = browser.fetch("/lab/hold?key=deadline&mark=during", bounded(20_000));
    // Without a cookie these two never touch Redis.
    const hold = (intent: string) =>
      fetch(`${app.url}/lab/hold`, {
        method: "POST",
        body: new URLSearchParams({ key: "deadline", intent }),
        ...bounded(15_000),
      });
    expect((await hold("wait")).status).toBe(200);
    redis.pause();
    try {
      expect((await hold("release")).status).toBe(200);
      const response = await held;
      expect(response.status).toBe(503);
      const page = await response.text();
      expect(page).toContain("may or may not have been saved");
      expect(page).not.toContain("Nothing was saved");
    } finally {
      redis.resume();
    }
  });

  it("never leaves a half-applied change set, even when Redis is killed mid-stream", async () => {
    const store = await RedisSessionStore.connect({ url: redis.url, prefix: "outage:", log: () => {} });
    try {
      const id = createSessionId();
      const expires = new Date(Date.now() + 60 * 60_000);
      await writeSession(store, id, { set: { a: 0, b: 0, c: 0 } }, expires);

      // Each apply writes three keys to one value; a torn apply would leave them unequal.
      let acknowledged = 0;
      let failed = 0;
      const writes = (async () => {
        for (let i = 1; i <= 2000; i++) {
          try {
            const changes = { ...emptyChanges(), set: { a: i, b: i, c: i, [`n${i}`]: i } };
            await store.commit(planFor(id, { changes, expires }));
            acknowledged = i;
          } catch {
            failed++;
            if (failed >= 5) return;
          }
        }
      })();
      await waitFor(() => acknowledged >= 50, 10_000, 5);
      await redis.stop("SIGKILL");
      await writes;
      await redis.restart();

      const a = await expectEveryAcknowledgedCommit(store, id, acknowledged, 20_000);
      console.log(`redis kill -9 mid-stream: ${acknowledged} applies acknowledged, stored a=b=c=${a}`);
    } finally {
      await store.close();
    }
  });
});

describeWithRedis("production start with an unreachable Redis", () => {
  it("exits non-zero within a few seconds, naming REDIS_URL", async () => {
    const closedPort = await freePort();
    const result = await runAppUntilExit(
      { SESSION_STORE: "redis", REDIS_URL: `redis://127.0.0.1:${closedPort}` },
      30_000,
    );
    expect(result.code).toBe(1);
    expect(result.output).toContain("Cannot start: REDIS_URL:");
    expect(result.output).toContain(`redis://127.0.0.1:${closedPort}`);
    console.log(`redis unreachable at start: exit ${result.code} after ${result.elapsedMs} ms`);
  });
});

/**
 * The same outages on a three-master Redis Cluster of the test's own (ports 7104-7106, so stopping a
 * node disturbs no other test): the master that holds the browser's session is killed, frozen and
 * restarted under a running app.
 */
describeWithRedisCluster("the Redis store through a Redis Cluster outage", () => {
  let nodes: RedisClusterNodes;
  const apps: AppProcess[] = [];
  const startApp = async () => {
    const app = await AppProcess.start({
      SESSION_STORE: "redis",
      REDIS_CLUSTER: "true",
      REDIS_URL: nodes.urls.join(","),
    });
    apps.push(app);
    return app;
  };
  /** The port of the master that holds the session of `browser`. */
  const homeOf = (browser: Browser) => nodes.portOf(`{${sessionIdOf(browser).slice(0, ID_TAG_LENGTH)}}`);

  beforeAll(async () => {
    nodes = await RedisClusterNodes.start(PRIVATE_CLUSTER_PORTS);
  }, 60_000);
  afterEach(async () => {
    for (const port of nodes.ports) {
      nodes.resume(port);
      if (!nodes.running(port)) await nodes.restart(port);
    }
    await nodes.waitUntilOk();
    await Promise.all(apps.splice(0).map((app) => app.stop()));
  }, 60_000);
  afterAll(async () => {
    await nodes?.dispose();
  });

  it("answers 503 while the session's master is down, stays up, and recovers without a restart once it is back", async () => {
    const app = await startApp();
    const browser = new Browser(app.url);
    expect((await browser.fetch("/lab/mark/before", bounded(10_000))).status).toBe(200);
    const home = await homeOf(browser);

    await nodes.stop(home, "SIGKILL");
    const during: number[] = [];
    for (let i = 0; i < 10; i++) during.push((await browser.fetch(`/lab/mark/during-${i}`, bounded(10_000))).status);
    expect(during).toEqual(Array(10).fill(503));
    expect(app.running).toBe(true);

    await nodes.restart(home);
    const restarted = Date.now();
    const recovered = await waitFor(
      async () => (await browser.fetch("/lab/mark/after", bounded(10_000))).status === 200,
      30_000,
      200,
    );
    expect(recovered).toBe(true);
    // The node came back from its append-only file: what it acknowledged before the kill is there.
    expect(Object.keys(await browser.sessionData()).sort()).toEqual(["mark:after", "mark:before"]);
    expect(app.output).toMatch(/Redis Cluster at redis:\/\/127\.0\.0\.1:\d+.* is unreachable/);
    expect(app.output).toContain("is reachable again");
    console.log(
      `redis cluster outage: 10/10 requests answered 503 with the session's master (port ${home}) killed; ` +
        `served again ${Date.now() - restarted} ms after it was restarted; app process stayed up`,
    );
  });

  it("answers 503 when the session's master hangs (SIGSTOP) instead of waiting, and serves again once it resumes", async () => {
    const app = await startApp();
    const browser = new Browser(app.url);
    expect((await browser.fetch("/lab/mark/before", bounded(10_000))).status).toBe(200);
    const home = await homeOf(browser);

    nodes.pause(home);
    const statuses: number[] = [];
    const took: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      statuses.push((await browser.fetch(`/lab/mark/hung-${i}`, bounded(15_000))).status);
      took.push(Date.now() - started);
    }
    expect(statuses).toEqual([503, 503, 503]);
    console.log(`redis cluster master hung (SIGSTOP): 3/3 requests answered 503, in ${took.join(", ")} ms`);

    nodes.resume(home);
    await nodes.waitUntilOk();
    const recovered = await waitFor(
      async () => (await browser.fetch("/lab/mark/after", bounded(10_000))).status === 200,
      30_000,
      200,
    );
    expect(recovered).toBe(true);
    expect(Object.keys(await browser.sessionData())).toContain("mark:after");
  });

  it("never leaves a half-applied change set when the session's master is killed mid-stream", async () => {
    const store = await RedisSessionStore.connect({ url: nodes.urls, cluster: true, prefix: "outage:", log: () => {} });
    try {
      const id = createSessionId();
      const expires = new Date(Date.now() + 60 * 60_000);
      await writeSession(store, id, { set: { a: 0, b: 0, c: 0 } }, expires);
      const home = await nodes.portOf(store.keyOf(id));

      let acknowledged = 0;
      let failed = 0;
      const writes = (async () => {
        for (let i = 1; i <= 2000; i++) {
          try {
            const changes = { ...emptyChanges(), set: { a: i, b: i, c: i, [`n${i}`]: i } };
            await store.commit(planFor(id, { changes, expires }));
            acknowledged = i;
          } catch {
            failed++;
            if (failed >= 5) return;
          }
        }
      })();
      await waitFor(() => acknowledged >= 50, 10_000, 5);
      await nodes.stop(home, "SIGKILL");
      await writes;
      await nodes.restart(home);

      const a = await expectEveryAcknowledgedCommit(store, id, acknowledged, 30_000);
      console.log(
        `redis cluster kill -9 of the session's master mid-stream: ${acknowledged} applies acknowledged, stored a=b=c=${a}`,
      );
    } finally {
      await store.close();
    }
  });

  it("stops a production start within a few seconds when no node of the cluster answers, naming REDIS_URL", async () => {
    const closed = [await freePort(), await freePort()];
    const result = await runAppUntilExit(
      {
        SESSION_STORE: "redis",
        REDIS_CLUSTER: "true",
        REDIS_URL: closed.map((port) => `redis://127.0.0.1:${port}`).join(","),
        REDIS_CONNECT_TIMEOUT_MS: "2000",
      },
      30_000,
    );
    expect(result.code).toBe(1);
    expect(result.output).toContain("Cannot start: REDIS_URL: Cannot connect to Redis Cluster at");
    expect(result.output).toContain("within 2000 ms");
    console.log(`redis cluster unreachable at start: exit ${result.code} after ${result.elapsedMs} ms`);
  });
});

/** The session id inside the session cookie `browser` holds (Remix's signed, base64 JSON value). */
function sessionIdOf(browser: Browser): string {
  const header = browser.cookieHeader;
  const value = decodeURIComponent(header.slice(header.indexOf("=") + 1));
  return JSON.parse(atob(value.slice(0, value.lastIndexOf("."))));
}

/**
 * Once the store answers again, the session holds no torn commit (a, b and c always move together) and
 * every acknowledged commit (appendfsync always), with at most the one in flight at the kill more.
 * Returns the count of commits the session holds.
 */
async function expectEveryAcknowledgedCommit(
  store: RedisSessionStore,
  id: string,
  acknowledged: number,
  timeout: number,
): Promise<number> {
  let data: Record<string, unknown> | undefined;
  await waitFor(
    async () => {
      data = await store.read(id).then(
        (stored) => stored?.data,
        () => undefined,
      );
      return data !== undefined;
    },
    timeout,
    200,
  );
  expect(data).toBeDefined();
  const { a, b, c } = data!;
  expect([b, c]).toEqual([a, a]);
  expect(a).toBeGreaterThanOrEqual(acknowledged);
  expect(a).toBeLessThanOrEqual(acknowledged + 1);
  expect(data![`n${a}`]).toBe(a);
  return a as number;
}
