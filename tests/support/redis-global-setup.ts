/**
 * Runs once per `vitest run`: says, in one line, that the Redis tests are skipped and how to run
 * them. (In CI, a missing REDIS_URL fails those tests instead; see describeWithRedis.)
 */
export default function announceSkippedRedisTests(): void {
  if (process.env.REDIS_URL || process.env.CI === "true") return;
  console.log(
    "Redis tests skipped: REDIS_URL is not set. To run them: redis-server --port 6390 --bind 127.0.0.1 --save '' --daemonize yes && REDIS_URL=redis://127.0.0.1:6390 npm run test:unit",
  );
}
