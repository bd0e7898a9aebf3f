/**
 * `npm run bench`: what auto-commit costs and what the peers lose, side by side.
 * See docs/benchmarks.md for what each number means; `--smoke` for the quick CI run, `--micro` for
 * the in-process microbenchmark alone, `--phases` for any other choice.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { importBuild } from "../server/build";

import { ensureBuild } from "./build";
import { isWorker, LOST_WRITES_SERVERS, NEVER_LOSE_WRITES, ROWS, SERVERS } from "./catalog";
import { growthRatio, measureGrowth } from "./growth";
import { measureLockWait } from "./lock-wait";
import { measureLostWrites } from "./lost-writes";
import { measureMicro } from "./micro";
import { parseOptions, settingsOf, type BenchOptions, type PhaseName } from "./options";
import { ProcessGroup, RedisProcess, ServerProcess } from "./processes";
import { profileHotPath } from "./profile";
import { evaluateTargets, machineInfo, writeResults } from "./report";
import type { BenchResults, LostWritesEntry } from "./results";
import { spread } from "./stats";
import { measureThroughput, type RowTarget } from "./throughput";
import { buildWorkers } from "./worker-app";

const launched = performance.now();
const log = (line: string) =>
  console.log(`[${((performance.now() - launched) / 1000).toFixed(1).padStart(5)} s] ${line}`);

/** What every phase shares: the options, a scratch folder, the servers started so far, the results. */
interface BenchContext {
  options: BenchOptions;
  workDir: string;
  group: ProcessGroup;
  /** The Redis the Redis-backed servers and stores use, if any. */
  redisUrl?: string;
  servers: ServerPool;
  results: Partial<BenchResults>;
}

/** Each phase fills its part of the results. */
const PHASES: Record<PhaseName, (context: BenchContext) => Promise<void>> = {
  throughput: throughputPhase,
  "lost-writes": lostWritesPhase,
  growth: growthPhase,
  "lock-wait": lockWaitPhase,
  micro: microPhase,
  profile: profilePhase,
};

/**
 * The bench's servers, started on first use and shared by the phases; one that cannot run here
 * (no Redis, a Worker build that fails) has a reason instead, and its rows say so.
 */
class ServerPool {
  #started = new Map<string, Promise<ServerProcess | string>>();
  #place: (key: string) => { dataDir: string; redisUrl?: string };
  #group: ProcessGroup;
  #redisUrl?: string;
  /** Why no Worker can run (the build failed), or null once built. */
  #workerBuild?: Promise<string | null>;

  constructor(group: ProcessGroup, workDir: string, redisUrl?: string) {
    this.#group = group;
    this.#redisUrl = redisUrl;
    this.#place = (key) => ({ dataDir: path.join(workDir, key), redisUrl });
  }

  /** Starts the servers not yet started, all at once; resolves to each one or why it cannot run. */
  async get(keys: string[]): Promise<Map<string, ServerProcess | string>> {
    for (const key of keys) if (!this.#started.has(key)) this.#started.set(key, this.#start(key));
    const settled = await Promise.allSettled(keys.map((key) => this.#started.get(key)!));
    const failed = settled.find((outcome) => outcome.status === "rejected");
    if (failed) throw failed.reason;
    return new Map(
      keys.map((key, index) => [key, (settled[index] as PromiseFulfilledResult<ServerProcess | string>).value]),
    );
  }

  /** `count` more processes of `key` sharing its store (its data folder, or Redis), for the lost-writes runs. */
  async twins(key: string, count: number): Promise<ServerProcess[]> {
    const starts = Array.from({ length: count }, () => ServerProcess.start(SERVERS[key].spec, this.#place(key)));
    const settled = await Promise.allSettled(starts);
    const started = settled.flatMap((outcome) => (outcome.status === "fulfilled" ? [outcome.value] : []));
    started.forEach((server) => this.#group.add(server));
    const failed = settled.find((outcome) => outcome.status === "rejected");
    if (failed) throw failed.reason;
    return started;
  }

  async #start(key: string): Promise<ServerProcess | string> {
    const reason = await this.#unavailableReason(key);
    if (reason) {
      log(`${key}: ${reason}`);
      return reason;
    }
    return this.#group.add(await ServerProcess.start(SERVERS[key].spec, this.#place(key)));
  }

  async #unavailableReason(key: string): Promise<string | null> {
    const { spec } = SERVERS[key];
    if ("store" in spec && spec.store === "redis" && !this.#redisUrl)
      return "skipped: no redis-server on PATH and no REDIS_URL";
    if (isWorker(key)) {
      this.#workerBuild ??= buildWorkers(log).then(
        () => null,
        (error: Error) => {
          log(error.message);
          return `skipped: ${error.message.split("\n")[0]}`;
        },
      );
      return this.#workerBuild;
    }
    return null;
  }
}

/** Every throughput row in paired rounds, with the server's CPU time per request. */
async function throughputPhase({ options, servers, results }: BenchContext): Promise<void> {
  const started = await servers.get([...new Set(ROWS.map((row) => row.server))]);
  const targets: RowTarget[] = ROWS.map((row) => {
    const server = started.get(row.server);
    return typeof server === "string" || !server
      ? { row, url: null, unavailable: server ?? "not started" }
      : { row, url: server.url, cpuMicros: () => server.cpuMicros() };
  });
  // Other work on the machine shows in the load average; the bench alone keeps it between 1 and 2.
  const loadAverages: number[] = [];
  const sampleLoad = () => loadAverages.push(os.loadavg()[0]);
  const loadTimer = setInterval(sampleLoad, 5000);
  try {
    results.throughput = await measureThroughput(targets, { ...options, log });
  } finally {
    clearInterval(loadTimer);
    sampleLoad();
  }
  results.loadAverage = spread(loadAverages);
}

/** K writes to one session at once, on every lost-writes server, with one process and with several. */
async function lostWritesPhase({ options, servers, results }: BenchContext): Promise<void> {
  const started = await servers.get(LOST_WRITES_SERVERS);
  // Twins are started together, after the throughput rounds, so they never compete with a measurement.
  const twins = new Map<string, ServerProcess[]>();
  await Promise.all(
    LOST_WRITES_SERVERS.map(async (key) => {
      const count = Math.min(SERVERS[key].maxProcesses, Math.max(...options.lostWritesProcesses)) - 1;
      if (count > 0 && typeof started.get(key) !== "string") twins.set(key, await servers.twins(key, count));
    }),
  );

  const entries: LostWritesEntry[] = [];
  for (const key of LOST_WRITES_SERVERS) {
    const first = started.get(key)!;
    for (const processes of options.lostWritesProcesses.filter((count) => count <= SERVERS[key].maxProcesses)) {
      const entry: LostWritesEntry = {
        server: key,
        label: SERVERS[key].label,
        processes,
        status: "unavailable",
        results: [],
      };
      entries.push(entry);
      if (typeof first === "string") {
        entry.note = first;
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
  results.lostWrites = entries;
}

/** The SQLite commit cost as the table grows. */
async function growthPhase({ options, workDir, results }: BenchContext): Promise<void> {
  const growth = await measureGrowth({
    sizes: options.growthSizes,
    applies: options.growthApplies,
    rounds: options.growthRounds,
    dir: path.join(workDir, "growth"),
    log,
  });
  results.growth = growth;
  results.growthRatio = growthRatio(growth);
}

/** Reads while another process holds SQLite's write lock, with the app's event-loop delay. */
async function lockWaitPhase({ options, workDir, results }: BenchContext): Promise<void> {
  results.lockWait = await measureLockWait({
    holdMs: options.lockWaitHoldMs,
    reads: options.lockWaitReads,
    gapMs: 100,
    dataDir: path.join(workDir, "lock-wait"),
    build: await importBuild(),
    log,
  });
  const { readsAnswered, readsMade, write } = results.lockWait;
  // Like a lost write, a read refused or a write not saved is a failure, not a slow measurement.
  if (readsAnswered !== readsMade || write.status !== 200 || !write.afterRelease) {
    throw new Error(
      `lock wait: ${readsAnswered}/${readsMade} reads answered with the session, the waiting write answered ${write.status}` +
        `${write.afterRelease ? "" : " before the lock was released"}`,
    );
  }
}

/**
 * The in-process microbenchmark, judged against the template server's CPU per request: the
 * throughput phase's figure when it ran, otherwise measured here in a few short rounds.
 */
async function microPhase(context: BenchContext): Promise<void> {
  const { options, workDir, results } = context;
  const micro = await measureMicro({
    iterations: options.microIterations,
    rounds: options.microRounds,
    sessionKeys: options.sessionKeys,
    dataDir: path.join(workDir, "micro"),
    redisUrl: context.redisUrl,
    build: await importBuild(),
    log,
  });
  const templateRow = ROWS.find((row) => row.server === "template")!;
  let template = results.throughput?.find((result) => result.row.id === templateRow.id);
  let templateSource = "the throughput table's template row, same run";
  if (!template?.cpu) {
    const [server] = (await context.servers.get(["template"])).values();
    if (typeof server === "string") throw new Error(`the template server: ${server}`);
    const rounds = Math.min(3, options.rounds);
    [template] = await measureThroughput([{ row: templateRow, url: server.url, cpuMicros: () => server.cpuMicros() }], {
      ...options,
      rounds,
      log,
    });
    templateSource = `measured for the microbenchmark: ${rounds} round(s) of the template server alone`;
  }
  results.micro = { ...micro, templateCpuMicros: template?.cpu?.median ?? null, templateSource };
}

/** The session's hot path under `node --cpu-prof`, drawn as flame graphs into the results folder. */
async function profilePhase({ options, workDir, results }: BenchContext): Promise<void> {
  results.profile = await profileHotPath({
    iterations: options.profileIterations,
    sessionKeys: options.sessionKeys,
    dir: path.join(workDir, "profile"),
    outDir: options.outDir,
    log,
  });
}

async function bench(options: BenchOptions, group: ProcessGroup, workDir: string): Promise<BenchResults> {
  const startedAt = new Date();
  ensureBuild(log);
  const redis = await RedisProcess.start(path.join(workDir, "redis"));
  if (redis) group.add(redis);
  const redisUrl = redis?.url ?? process.env.REDIS_URL;
  log(redis ? `private redis-server at ${redis.url}` : `redis: ${redisUrl ?? "none"}`);

  const context: BenchContext = {
    options,
    workDir,
    group,
    redisUrl,
    servers: new ServerPool(group, workDir, redisUrl),
    results: {},
  };
  // A phase that fails ends the run, but what the earlier phases measured is still written.
  let failure: BenchResults["failure"];
  for (const phase of options.phases) {
    log(`phase ${phase}`);
    try {
      await PHASES[phase](context);
    } catch (error) {
      failure = { phase, message: error instanceof Error ? (error.stack ?? error.message) : String(error) };
      break;
    }
  }
  await group.stopAll();

  const args = process.argv.slice(2);
  const partial = { ...context.results, mode: options.mode };
  return {
    command: `npm run bench${args.length ? ` -- ${args.join(" ")}` : ""}`,
    mode: options.mode,
    phases: options.phases,
    startedAt: startedAt.toISOString(),
    elapsedSeconds: (Date.now() - startedAt.getTime()) / 1000,
    machine: machineInfo(),
    settings: settingsOf(options),
    ...context.results,
    targets: evaluateTargets(partial),
    ...(failure ? { failure } : {}),
  };
}

/** Writes this stack's server-side stores must never lose, whatever the timing. */
function assertNoLostWrites(results: BenchResults): void {
  const lost = (results.lostWrites ?? [])
    .filter((entry) => NEVER_LOSE_WRITES.includes(entry.server))
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
    if (results.failure) throw new Error(`phase ${results.failure.phase} failed: ${results.failure.message}`);
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
