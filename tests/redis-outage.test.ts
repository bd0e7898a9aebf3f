import { afterAll, afterEach, beforeAll, expect, it } from "vitest";

import { emptyChanges } from "../session/core/changes";
import { createSessionId } from "../session/core/id";
import { RedisSessionStore } from "../session/stores/redis";
import { planFor, writeSession } from "../session/stores/store-contract";

import { AppProcess, runAppUntilExit } from "./support/app-process";
import { Browser } from "./support/browser";
import { describeWithRedis, freePort, PrivateRedis, waitFor } from "./support/redis";

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

      let data: Record<string, unknown> | undefined;
      await waitFor(
        async () => {
          data = await store.read(id).then(
            (stored) => stored?.data,
            () => undefined,
          );
          return data !== undefined;
        },
        20_000,
        200,
      );
      expect(data).toBeDefined();
      const { a, b, c } = data!;
      expect([b, c]).toEqual([a, a]);
      // Every acknowledged apply survived the kill (appendfsync always); at most the one in flight more.
      expect(a).toBeGreaterThanOrEqual(acknowledged);
      expect(a).toBeLessThanOrEqual(acknowledged + 1);
      expect(data![`n${a}`]).toBe(a);
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
