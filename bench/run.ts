/**
 * `npm run bench`: what auto-commit costs and what the peers lose, side by side.
 * See docs/benchmarks.md for what each number means; `--smoke` for the quick CI run.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { SESSION_STORES } from "../server/config";

import type { ServerSpec } from "./apps";
import { ensureBuild } from "./build";
import { measureGrowth } from "./growth";
import { measureLostWrites } from "./lost-writes";
import { parseOptions, settingsOf, type BenchOptions } from "./options";
import { ProcessGroup, RedisProcess, ServerProcess } from "./processes";
import { evaluateTargets, machineInfo, writeResults, type BenchResults, type LostWritesEntry } from "./report";
import { spread } from "./stats";
import { measureThroughput, type RowTarget, type ThroughputRow } from "./throughput";

/** Every server the bench can start, by key. */
const SERVERS: Record<string, { spec: ServerSpec; label: string }> = {
  bare: { spec: { kind: "bare" }, label: "Remix Express handler, no session" },
  "stack-sqlite": { spec: { kind: "stack", store: "sqlite" }, label: "this stack, SQLite" },
  "stack-cookie": { spec: { kind: "stack", store: "cookie" }, label: "this stack, cookie" },
  "stack-redis": { spec: { kind: "stack", store: "redis" }, label: "this stack, Redis" },
  "express-session-sqlite": {
    spec: { kind: "express-session", store: "sqlite" },
    label: "express-session + better-sqlite3-session-store",
  },
  "express-session-redis": {
    spec: { kind: "express-session", store: "redis" },
    label: "express-session + connect-redis",
  },
  "always-commit-sqlite": { spec: { kind: "always-commit", store: "sqlite" }, label: "always-commit, SQLite" },
};

const row = (server: string, action: "read" | "write", label: string, withSession = true): ThroughputRow => ({
  id: `${server}-${action}${withSession ? "" : "-no-cookie"}`,
  label,
  server,
  action,
  withSession,
});

/** The throughput table, in order; row 1 is the upper bound every ratio refers to. */
const ROWS: ThroughputRow[] = [
  row("bare", "read", "Remix Express handler, no session (upper bound)", false),
  row("stack-sqlite", "read", "this stack, SQLite: session read, unchanged"),
  row("stack-sqlite", "read", "this stack, no session cookie", false),
  row("stack-cookie", "read", "this stack, cookie: session read, unchanged"),
  row("stack-redis", "read", "this stack, Redis: session read, unchanged"),
  row("express-session-sqlite", "read", "express-session + SQLite: read, unchanged"),
  row("express-session-redis", "read", "express-session + connect-redis: read, unchanged"),
  row("always-commit-sqlite", "read", "always-commit, SQLite: read, committed anyway"),
  // Each write row next to its peer on the same store, so the pair is measured close together.
  row("stack-sqlite", "write", "this stack, SQLite: one key written"),
  row("express-session-sqlite", "write", "express-session + SQLite: one key written"),
  row("always-commit-sqlite", "write", "always-commit, SQLite: one key written"),
  row("stack-redis", "write", "this stack, Redis: one key written"),
  row("express-session-redis", "write", "express-session + connect-redis: one key written"),
  row("stack-cookie", "write", "this stack, cookie: one key written"),
];

/** Servers whose lost writes are counted. */
const LOST_WRITES_SERVERS = [
  "stack-cookie",
  "stack-sqlite",
  "stack-redis",
  "express-session-sqlite",
  "express-session-redis",
  "always-commit-sqlite",
];

const launched = performance.now();
const log = (line: string) =>
  console.log(`[${((performance.now() - launched) / 1000).toFixed(1).padStart(5)} s] ${line}`);

/** Why a server cannot run here, or null when it can. */
function unavailableReason(key: string, redisUrl: string | undefined): string | null {
  const { spec } = SERVERS[key];
  if (!("store" in spec) || spec.store !== "redis") return null;
  if (spec.kind === "stack") {
    const accepted = (SESSION_STORES as readonly string[]).includes("redis");
    if (!accepted || !fs.existsSync("session/stores/redis.ts")) {
      return "pending: the Redis store (session/stores/redis.ts, SESSION_STORE=redis) is not there yet";
    }
  }
  return redisUrl ? null : "skipped: no redis-server on PATH and no REDIS_URL";
}

async function bench(options: BenchOptions, group: ProcessGroup, workDir: string): Promise<BenchResults> {
  const startedAt = new Date();
  ensureBuild(log);

  const redis = await RedisProcess.start(path.join(workDir, "redis"));
  if (redis) group.add(redis);
  const redisUrl = redis?.url ?? process.env.REDIS_URL;
  log(redis ? `private redis-server at ${redis.url}` : `redis: ${redisUrl ?? "none"}`);

  const reasons = new Map(Object.keys(SERVERS).map((key) => [key, unavailableReason(key, redisUrl)]));
  const place = (key: string) => ({ dataDir: path.join(workDir, key), redisUrl });
  const start = (key: string) => ServerProcess.start(SERVERS[key].spec, place(key)).then((server) => group.add(server));
  // Every start settles before anything fails, so no server is still starting when the bench cleans up.
  const startAll = async <T>(starts: Array<Promise<T>>): Promise<T[]> => {
    const settled = await Promise.allSettled(starts);
    const failed = settled.find((outcome) => outcome.status === "rejected");
    if (failed) throw failed.reason;
    return settled.map((outcome) => (outcome as PromiseFulfilledResult<T>).value);
  };

  const runnable = [...reasons].filter(([, reason]) => reason === null).map(([key]) => key);
  const servers = new Map(await startAll(runnable.map(async (key) => [key, await start(key)] as const)));
  log(`servers up: ${runnable.join(", ")}`);
  for (const [key, reason] of reasons) if (reason) log(`${key}: ${reason}`);

  const targets: RowTarget[] = ROWS.map((throughputRow) => ({
    row: throughputRow,
    url: servers.get(throughputRow.server)?.url ?? null,
    unavailable: reasons.get(throughputRow.server) ?? undefined,
  }));
  // Other work on the machine shows in the load average; the bench alone keeps it between 1 and 2.
  const loadAverages: number[] = [];
  const sampleLoad = () => loadAverages.push(os.loadavg()[0]);
  const loadTimer = setInterval(sampleLoad, 5000);
  let throughput;
  try {
    throughput = await measureThroughput(targets, { ...options, log });
  } finally {
    clearInterval(loadTimer);
    sampleLoad();
  }

  // Twins share the first server's data folder (SQLite file) or Redis, as processes of one deployment do.
  // Started together here, after the throughput rounds, so they never compete with a measurement.
  const twinCount = Math.max(...options.lostWritesProcesses) - 1;
  const twinKeys = LOST_WRITES_SERVERS.filter((key) => servers.has(key));
  const twins = new Map(
    await startAll(
      twinKeys.map(async (key) => [key, await startAll(Array.from({ length: twinCount }, () => start(key)))] as const),
    ),
  );

  const lostWrites: LostWritesEntry[] = [];
  for (const key of LOST_WRITES_SERVERS) {
    for (const processes of options.lostWritesProcesses) {
      const entry: LostWritesEntry = {
        server: key,
        label: SERVERS[key].label,
        processes,
        status: "unavailable",
        results: [],
      };
      lostWrites.push(entry);
      const first = servers.get(key);
      if (!first) {
        entry.note = reasons.get(key) ?? "not started";
        continue;
      }
      const urls = [first, ...(twins.get(key) ?? [])].slice(0, processes).map((server) => server.url);
      for (const clients of options.lostWritesClients) {
        const result = await measureLostWrites(urls, clients, options.lostWritesRounds);
        entry.results.push(result);
        log(
          `lost writes  ${key.padEnd(24)} ${processes} process(es)  K=${String(clients).padEnd(3)} kept ${result.kept}/${result.made}`,
        );
      }
      entry.status = "measured";
    }
  }
  await Promise.all([...twins.values()].flat().map((twin) => twin.stop()));

  const growth = await measureGrowth({
    sizes: options.growthSizes,
    applies: options.growthApplies,
    dir: path.join(workDir, "growth"),
    log,
  });
  const smallest = growth[0];
  const largest = growth[growth.length - 1];
  const growthRatio =
    smallest && largest && largest !== smallest
      ? {
          mean: largest.meanMicros / smallest.meanMicros,
          p50: largest.p50Micros / smallest.p50Micros,
          largest: largest.sessions,
          smallest: smallest.sessions,
        }
      : null;

  const args = process.argv.slice(2);
  const partial = { throughput, lostWrites };
  return {
    command: `npm run bench${args.length ? ` -- ${args.join(" ")}` : ""}`,
    mode: options.mode,
    startedAt: startedAt.toISOString(),
    elapsedSeconds: (Date.now() - startedAt.getTime()) / 1000,
    loadAverage: spread(loadAverages),
    machine: machineInfo(),
    settings: settingsOf(options),
    ...partial,
    growth,
    growthRatio,
    targets: evaluateTargets({ ...partial, mode: options.mode }),
  };
}

/** Writes this stack's server-side stores must never lose, whatever the timing. */
function assertNoLostWrites(results: BenchResults): void {
  const lost = results.lostWrites
    .filter((entry) => entry.server === "stack-sqlite" || entry.server === "stack-redis")
    .flatMap((entry) =>
      entry.results.filter((result) => result.kept !== result.made).map((result) => ({ entry, result })),
    );
  if (lost.length > 0) {
    const detail = lost
      .map(
        ({ entry, result }) =>
          `${entry.server} (${entry.processes} process(es)) kept ${result.kept}/${result.made} at K=${result.clients}`,
      )
      .join("; ");
    throw new Error(`This stack lost concurrent writes: ${detail}`);
  }
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "session-bench-"));
  const group = new ProcessGroup();
  const cleanUp = async () => {
    await group.stopAll();
    fs.rmSync(workDir, { recursive: true, force: true });
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      console.error(`${signal}: stopping every server the bench started`);
      cleanUp().finally(() => process.exit(130));
    });
  }

  try {
    const results = await bench(options, group, workDir);
    const files = writeResults(options.outDir, results);
    log(`\n${files.join("\n")}`);
    for (const target of results.targets) log(`${target.status.padEnd(7)} ${target.statement}: ${target.detail}`);
    assertNoLostWrites(results);
    return 0;
  } finally {
    await cleanUp();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
