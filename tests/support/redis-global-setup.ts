import crypto from "node:crypto";

import { createClient } from "redis";
import type { TestProject } from "vitest/node";

import { maskUrlCredentials } from "../../session/core/mask-url";

declare module "vitest" {
  export interface ProvidedContext {
    /** Every Redis key this run's tests write starts with `test:<redisRun>:` (see uniquePrefix). */
    redisRun?: string;
  }
}

/**
 * Runs once per `vitest run`. Without REDIS_URL: says, in one line, that the Redis tests are skipped
 * and how to run them (in CI a missing REDIS_URL fails those tests instead; see describeWithRedis).
 * With it: after the run, fails the run if a test left keys behind, so the tests never fill the
 * developer's Redis with sessions that live for 30 days. The keys are deleted either way.
 */
export default function setup(project: TestProject): (() => Promise<void>) | void {
  const url = process.env.REDIS_URL;
  if (!url) {
    if (process.env.CI === "true") return;
    console.log(
      "Redis tests skipped: REDIS_URL is not set. To run them: redis-server --port 6390 --bind 127.0.0.1 --save '' --daemonize yes && REDIS_URL=redis://127.0.0.1:6390 npm run test:unit",
    );
    return;
  }
  const run = crypto.randomBytes(4).toString("hex");
  project.provide("redisRun", run);

  return async function nothingLeftBehind() {
    const client = createClient({ url });
    client.on("error", () => {});
    await client.connect();
    const left: string[] = [];
    try {
      for await (const keys of client.scanIterator({ MATCH: `test:${run}:*`, COUNT: 500 })) {
        if (keys.length === 0) continue;
        left.push(...keys);
        await client.del(keys);
      }
    } finally {
      client.destroy();
    }
    if (left.length > 0) {
      console.error(
        `FAIL: the tests left ${left.length} keys in the Redis at ${maskUrlCredentials(url)} (now deleted), such as ${left.slice(0, 3).join(", ")}. A test that writes to Redis must delete its keys afterwards (deleteKeys in tests/support/redis.ts).`,
      );
      // Vitest reports an error thrown here but still exits 0.
      process.exitCode = 1;
    }
  };
}
