import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { staleBuildReason } from "../bench/build";
import { renderChart } from "../bench/chart";
import { parseStat } from "../bench/cpu";
import { flameTree, hotFunctions, type CpuProfile } from "../bench/flame-graph";
import { growthRatio, type GrowthResult } from "../bench/growth";
import { measureLostWrites } from "../bench/lost-writes";
import { parseOptions } from "../bench/options";
import { ProcessGroup, ServerProcess } from "../bench/processes";
import { evaluateTargets, renderMarkdown } from "../bench/report";
import type { BenchResults, LostWritesEntry, MicroReport } from "../bench/results";
import { percentile, spread } from "../bench/stats";
import { compareWithBaselines, pairedRatios, type RowResult, type ThroughputRow } from "../bench/throughput";
import { escapeXml } from "../bench/svg";

describe("bench statistics", () => {
  it("takes the median of an odd and an even count, with min and max", () => {
    expect(spread([5, 1, 3])).toEqual({ median: 3, min: 1, max: 5 });
    expect(spread([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4 });
  });

  it("reads a nearest-rank percentile", () => {
    const sorted = Array.from({ length: 100 }, (_, index) => index + 1);
    expect(percentile(sorted, 0.5)).toBe(50);
    expect(percentile(sorted, 0.99)).toBe(99);
    expect(percentile([7], 0.99)).toBe(7);
  });
});

describe("bench paired ratios", () => {
  it("divides round by round, so a round where the whole machine was slow does not skew the ratio", () => {
    const row = (rps: number[]) =>
      ({ samples: rps.map((value) => ({ rps: value, p50: 1, p99: 1, requests: 1, cpuMicros: null })) }) as RowResult;
    // Round 2 ran at half speed for both rows; the ratio stays 0.9 in every round.
    expect(pairedRatios(row([900, 450, 900]), row([1000, 500, 1000]))).toEqual({ median: 0.9, min: 0.9, max: 0.9 });
    expect(pairedRatios(row([900]), row([1000, 500]))).toBeNull();
  });
});

describe("bench CPU per request", () => {
  it("takes each row's CPU cost against its own baseline row, round by round", () => {
    const row = (id: string, baseline: string, cpu: number[]) =>
      ({
        row: { id, baseline },
        samples: cpu.map((value) => ({ rps: 1000, p50: 1, p99: 1, requests: 1, cpuMicros: value })),
      }) as RowResult;
    // Round 2 ran on a busier machine: both rows cost more, the session still adds 10%.
    const results = [
      row("template", "template", [200, 400]),
      row("stack", "template", [220, 440]),
      row("worker", "worker", [90, 90]),
    ];
    compareWithBaselines(results);
    expect(results[1].cpuCost!.median).toBeCloseTo(0.1);
    expect(results[1].cpuCost!.max - results[1].cpuCost!.min).toBeCloseTo(0);
    expect(results[2].cpuCost!.median).toBe(0);
  });

  it("reads the parent and the CPU ticks from /proc/<pid>/stat, whatever the command name holds", () => {
    const fields = ["S", "41", ...Array.from({ length: 9 }, () => "0"), "150", "25", "7", "3"];
    expect(parseStat(`4242 (node (bench) x) ${fields.join(" ")}`)).toEqual({ ppid: 41, ticks: 175 });
  });
});

describe("bench flame graph", () => {
  // main → withSession → getSession (3 samples) and main → withSession (1 sample), one sample before the window.
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: { functionName: "(root)", url: "", lineNumber: -1 }, children: [2] },
      { id: 2, callFrame: { functionName: "main", url: "file:///x/bench/a.ts", lineNumber: 0 }, children: [3] },
      {
        id: 3,
        callFrame: { functionName: "withSession", url: "file:///x/session/core/auto-commit.ts", lineNumber: 0 },
        children: [4],
      },
      { id: 4, callFrame: { functionName: "getSession", url: "file:///x/node_modules/pkg/index.js", lineNumber: 9 } },
    ],
    startTime: 1000,
    samples: [4, 4, 4, 4, 3],
    timeDeltas: [10, 100, 100, 100, 100],
  };

  it("merges the samples inside the window into stacks and ranks functions by their own samples", () => {
    const tree = flameTree(profile, 1100, 2000);
    expect(tree.total).toBe(4);
    const hot = hotFunctions(tree, 2);
    expect(hot[0]).toMatchObject({ name: "getSession", location: "pkg/index.js:10", self: 0.75, total: 0.75 });
    expect(hot[1]).toMatchObject({
      name: "withSession",
      location: "session/core/auto-commit.ts",
      self: 0.25,
      total: 1,
    });
  });
});

describe("bench build check", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-build-"));
    fs.mkdirSync(path.join(dir, "app", "routes"), { recursive: true });
    fs.writeFileSync(path.join(dir, "app", "routes", "a.ts"), "");
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("asks for a build when build/index.js is missing", () => {
    expect(staleBuildReason(path.join(dir, "missing.js"), path.join(dir, "app"))).toMatch(/missing/);
  });

  it("asks for a build only when a file under app/ is newer than the build", () => {
    const build = path.join(dir, "index.js");
    const source = path.join(dir, "app", "routes", "a.ts");
    fs.writeFileSync(build, "");
    fs.utimesSync(source, new Date(1_000_000), new Date(1_000_000));
    fs.utimesSync(build, new Date(2_000_000), new Date(2_000_000));
    expect(staleBuildReason(build, path.join(dir, "app"))).toBeNull();
    fs.utimesSync(source, new Date(3_000_000), new Date(3_000_000));
    expect(staleBuildReason(build, path.join(dir, "app"))).toMatch(/older than/);
  });
});

describe("bench options", () => {
  it("--smoke and BENCH_SMOKE=1 choose the small run and the ignored output folder", () => {
    for (const options of [parseOptions(["--smoke"], {}), parseOptions([], { BENCH_SMOKE: "1" })]) {
      expect(options).toMatchObject({ mode: "smoke", rounds: 1, outDir: "bench/results/tmp", growthSizes: [1_000] });
    }
    expect(parseOptions([], {})).toMatchObject({ mode: "full", rounds: 7, lostWritesClients: [8, 32, 64] });
  });

  it("runs every phase by default, only the microbenchmark with --micro, and the listed ones with --phases", () => {
    expect(parseOptions([], {}).phases).toEqual([
      "throughput",
      "lost-writes",
      "growth",
      "lock-wait",
      "micro",
      "profile",
    ]);
    expect(parseOptions(["--smoke"], {}).phases).toHaveLength(6);
    expect(parseOptions(["--micro"], {}).phases).toEqual(["micro"]);
    expect(parseOptions(["--phases", "profile,throughput"], {}).phases).toEqual(["throughput", "profile"]);
    expect(() => parseOptions(["--phases", "speed"], {})).toThrow(/unknown phase "speed"/);
  });

  it("rejects unknown flags and rounds below 1", () => {
    expect(() => parseOptions(["--fast"], {})).toThrow(/Unknown option/);
    expect(() => parseOptions(["--rounds", "0"], {})).toThrow(/--rounds/);
  });
});

/**
 * A measured row whose three rounds gave `rps` × 0.98, × 1, × 1.02 req/s and `cpu` µs of server CPU
 * per request in every round; costs against the template row come from `compareWithBaselines`.
 */
function rowResult(id: string, action: "read" | "write", rps: number, cpu: number): RowResult {
  const row: ThroughputRow = {
    id,
    label: `<${id}>`,
    server: id.replace(/-(read|write).*$/, ""),
    action,
    withSession: !id.endsWith("no-cookie"),
    baseline: "template-read-no-cookie",
  };
  const samples = [0.98, 1, 1.02].map((factor) => ({ rps: rps * factor, p50: 1, p99: 2, requests: 1, cpuMicros: cpu }));
  return {
    row,
    status: "measured",
    samples,
    rps: spread(samples.map((sample) => sample.rps)),
    p50: { median: 1, min: 1, max: 1 },
    p99: { median: 2, min: 2, max: 2 },
    cpu: { median: cpu, min: cpu, max: cpu },
  };
}

function lostEntry(server: string, kept: number): LostWritesEntry {
  return {
    server,
    label: server,
    processes: 2,
    status: "measured",
    results: [{ clients: 64, rounds: 1, made: 64, kept, keptPerRound: [kept] }],
  };
}

describe("bench targets", () => {
  const throughput = [
    rowResult("bare-read-no-cookie", "read", 1100, 180),
    rowResult("template-read-no-cookie", "read", 1000, 200),
    rowResult("stack-sqlite-read", "read", 960, 208),
    rowResult("stack-cookie-read", "read", 990, 204),
    rowResult("stack-sqlite-write", "write", 500, 230),
    rowResult("express-session-sqlite-write", "write", 450, 250),
  ];
  compareWithBaselines(throughput);
  const micro: MicroReport = {
    iterations: 100,
    rounds: 1,
    templateCpuMicros: 200,
    templateSource: "test",
    skipped: [{ store: "redis", reason: "no redis" }],
    operations: [
      { id: "handler-alone", store: null, label: "handler", micros: { median: 10, min: 10, max: 10 } },
      { id: "sqlite-unchanged", store: "sqlite", label: "read", micros: { median: 15, min: 15, max: 15 } },
      { id: "sqlite-write", store: "sqlite", label: "write", micros: { median: 40, min: 40, max: 40 } },
    ],
  };

  it("calls a target met or missed from the CPU per request against the template server, and says by how much", () => {
    const targets = evaluateTargets({ mode: "full", throughput, micro, lostWrites: [lostEntry("stack-sqlite", 63)] });
    const byId = new Map(targets.map((target) => [target.id, target]));
    expect(byId.get("cpu-read-sqlite")).toMatchObject({ status: "missed" });
    expect(byId.get("cpu-read-sqlite")!.detail).toContain("adds +4.0%");
    expect(byId.get("cpu-read-cookie")).toMatchObject({ status: "met" });
    expect(byId.get("cpu-read-redis")).toMatchObject({ status: "pending" });
    expect(byId.get("cpu-write-sqlite")).toMatchObject({ status: "missed" });
    expect(byId.get("write-cost-sqlite")).toMatchObject({ status: "met" });
    expect(byId.get("write-cost-sqlite")!.detail).toContain("same-round difference -8.0%");
    // In-process: 5 µs of 200 is 2.5% (met); 30 µs is 15% (missed); Redis did not run.
    expect(byId.get("micro-unchanged-sqlite")).toMatchObject({ status: "met", detail: "5.0 µs of 200.0 µs: 2.5%" });
    expect(byId.get("micro-write-sqlite")).toMatchObject({ status: "missed" });
    expect(byId.get("micro-write-redis")).toMatchObject({ status: "pending", detail: "no redis" });
    expect(byId.get("lost-writes-sqlite")).toMatchObject({ status: "missed" });
    expect(byId.get("lost-writes-sqlite")!.detail).toContain("63/64");
  });

  it("calls an end-to-end target unresolved when its rounds fall on both sides of the budget", () => {
    // The same median cost (+4%), but one round under the 3% budget and one over it.
    const noisy = throughput.map((result) =>
      result.row.id === "stack-sqlite-read" ? { ...result, cpuCost: { median: 0.04, min: -0.2, max: 0.3 } } : result,
    );
    const target = evaluateTargets({ mode: "full", throughput: noisy }).find((each) => each.id === "cpu-read-sqlite");
    expect(target).toMatchObject({ status: "unresolved" });
    expect(target!.detail).toContain("rounds: -20.0% to +30.0%");
  });

  it("judges nothing in a smoke run", () => {
    const targets = evaluateTargets({ mode: "smoke", throughput, micro, lostWrites: [lostEntry("stack-sqlite", 64)] });
    expect(new Set(targets.map((target) => target.status))).toEqual(new Set(["not checked"]));
  });

  it("renders the tables and an SVG with one bar per measured row and escaped labels", () => {
    const results: BenchResults = {
      command: "npm run bench",
      mode: "full",
      phases: ["throughput", "lost-writes", "growth"],
      startedAt: new Date(0).toISOString(),
      elapsedSeconds: 1,
      loadAverage: { median: 2, min: 1.5, max: 3 },
      machine: { nproc: 2, cpu: "cpu", node: "v20", os: "linux", commit: "abc" },
      settings: {
        connections: 10,
        durationSeconds: 4,
        rounds: 5,
        warmupSeconds: 1,
        sessionKeys: 32,
        lostWritesClients: [64],
        lostWritesRounds: 1,
        growthSizes: [1000],
        growthApplies: 10,
        growthRounds: 1,
        lockWaitHoldMs: 500,
        lockWaitReads: 3,
        microIterations: 10,
        microRounds: 1,
        profileIterations: 10,
      },
      throughput,
      lostWrites: [lostEntry("stack-sqlite", 64)],
      growth: [growthOf(1000, [50], [45])],
      growthRatio: null,
      targets: [],
    };
    const svg = renderChart(results);
    expect(svg.startsWith("<svg ")).toBe(true);
    expect(svg).toContain(escapeXml("1. <bare-read-no-cookie>"));
    expect(svg).toContain("208 µs (+4%)");
    expect(svg).not.toContain("<bare-read-no-cookie>");
    expect(svg.match(/<line /g)).toHaveLength(throughput.length * 3);
    const markdown = renderMarkdown(results);
    expect(markdown).toContain(
      "| 3 | <stack-sqlite-read> (vs row 2) | GET /lab/ping | 208 [208–208] | +4.0% | 960 [941–979] | 96.0% [96.0%–96.0%] | 1 | 2 |",
    );
    expect(markdown).toContain("odd rounds 1 → 6, even rounds 6 → 1");
    expect(markdown).toContain("64/64 (100.0%)");
    expect(markdown).toContain("1-minute load average during these rounds: 2.0 (1.5–3.0)");
  });
});

/** A growth result with the given per-round means and CPU, µs. */
function growthOf(sessions: number, roundMeanMicros: number[], roundCpuMicros: number[]): GrowthResult {
  const mean = roundMeanMicros.reduce((sum, value) => sum + value, 0) / roundMeanMicros.length;
  return {
    sessions,
    applies: 10 * roundMeanMicros.length,
    fillSeconds: 0,
    meanMicros: mean,
    p50Micros: mean,
    p99Micros: 2 * mean,
    roundMeanMicros,
    roundCpuMicros,
  };
}

describe("bench growth ratio", () => {
  it("divides the largest table's cost by the smallest's within each round, so a loaded round cancels out", () => {
    // Round 2 ran with the machine twice as loaded, for both sizes alike.
    const ratio = growthRatio([
      growthOf(1_000, [30, 60, 30], [40, 80, 40]),
      growthOf(1_000_000, [42, 84, 45], [60, 120, 56]),
    ]);
    expect(ratio).toMatchObject({ largest: 1_000_000, smallest: 1_000 });
    expect(ratio!.mean).toEqual({ median: 1.4, min: 1.4, max: 1.5 });
    expect(ratio!.cpu).toEqual({ median: 1.5, min: 1.4, max: 1.5 });
    expect(growthRatio([growthOf(1_000, [30], [40])])).toBeNull();
  });

  it("judges the 1.5× target on the median round's mean-time ratio", () => {
    const within = growthRatio([
      growthOf(1_000, [30, 30, 30], [1, 1, 1]),
      growthOf(1_000_000, [45, 44, 90], [1, 1, 1]),
    ]);
    const over = growthRatio([growthOf(1_000, [30, 30, 30], [1, 1, 1]), growthOf(1_000_000, [46, 50, 40], [1, 1, 1])]);
    const verdict = (growthRatioValue: typeof within) =>
      evaluateTargets({ mode: "full", growthRatio: growthRatioValue }).find((target) => target.id === "sqlite-growth")!;
    expect(verdict(within).status).toBe("met");
    expect(verdict(over).status).toBe("missed");
    expect(verdict(over).detail).toContain("mean time 1.53×");
  });
});

describe("bench lock-wait target", () => {
  const lockWait = (extraMs: number) => ({
    holdMs: 3_000,
    duringMs: { median: 20, min: 10, max: 30 + extraMs },
    withoutMs: { median: 10, min: 5, max: 30 },
    extraMs,
    readsAnswered: 15,
    readsMade: 15,
    eventLoop: { p99: 12.5, max: 40 },
    write: { status: 200, afterRelease: true },
  });
  const verdict = (extraMs: number) =>
    evaluateTargets({ mode: "full", lockWait: lockWait(extraMs) }).find((target) => target.id === "lock-wait-reads")!;

  it("is met when the slowest read during the lock is within 100 ms of the slowest without it, and reports the event-loop p99", () => {
    expect(verdict(100)).toMatchObject({ status: "met" });
    expect(verdict(100).detail).toContain("event-loop delay p99 12.5 ms");
    expect(verdict(101)).toMatchObject({ status: "missed" });
  });
});

/** Server processes compile TypeScript as they start: on a busy machine that alone can take most of a minute. */
const START_TIMEOUT_MS = 180_000;

describe("bench lost-writes harness, over real server processes", () => {
  const group = new ProcessGroup();
  let dataDir: string;
  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-lost-"));
  });
  afterAll(async () => {
    await group.stopAll();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    "counts the writes a cookie session loses: the last Set-Cookie keeps one write per round",
    async () => {
      const server = group.add(await ServerProcess.start({ kind: "stack", store: "cookie" }, { dataDir }));
      const result = await measureLostWrites([server.url], 8, 2);
      expect(result).toMatchObject({ made: 16, kept: 2, keptPerRound: [1, 1] });
    },
    START_TIMEOUT_MS,
  );

  it(
    "sees every write kept by this stack's SQLite store, with two processes sharing the file",
    async () => {
      const place = { dataDir: path.join(dataDir, "shared") };
      const servers = await Promise.all(
        [1, 2].map(() => ServerProcess.start({ kind: "stack", store: "sqlite" }, place)),
      );
      servers.forEach((server) => group.add(server));
      const result = await measureLostWrites(
        servers.map((server) => server.url),
        16,
        2,
      );
      expect(result).toMatchObject({ made: 32, kept: 32 });
    },
    START_TIMEOUT_MS,
  );
});
