import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { staleBuildReason } from "../bench/build";
import { escapeXml, renderChart } from "../bench/chart";
import { measureLostWrites } from "../bench/lost-writes";
import { parseOptions } from "../bench/options";
import { ProcessGroup, ServerProcess } from "../bench/processes";
import { evaluateTargets, renderMarkdown, type BenchResults, type LostWritesEntry } from "../bench/report";
import { percentile, spread } from "../bench/stats";
import { pairedRatios, type RowResult, type ThroughputRow } from "../bench/throughput";

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
      ({ samples: rps.map((value) => ({ rps: value, p50: 1, p99: 1, requests: 1 })) }) as RowResult;
    // Round 2 ran at half speed for both rows; the ratio stays 0.9 in every round.
    expect(pairedRatios(row([900, 450, 900]), row([1000, 500, 1000]))).toEqual({ median: 0.9, min: 0.9, max: 0.9 });
    expect(pairedRatios(row([900]), row([1000, 500]))).toBeNull();
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

  it("rejects unknown flags and rounds below 1", () => {
    expect(() => parseOptions(["--fast"], {})).toThrow(/Unknown option/);
    expect(() => parseOptions(["--rounds", "0"], {})).toThrow(/--rounds/);
  });
});

/** A measured row whose three rounds gave `median` × 0.98, × 1, × 1.02 req/s, with ratios against `baseline`. */
function rowResult(id: string, action: "read" | "write", median: number, baseline: number): RowResult {
  const row: ThroughputRow = {
    id,
    label: `<${id}>`,
    server: id.replace(/-(read|write).*$/, ""),
    action,
    withSession: true,
  };
  const samples = [0.98, 1, 1.02].map((factor) => ({ rps: median * factor, p50: 1, p99: 2, requests: 1 }));
  const rps = spread(samples.map((sample) => sample.rps));
  const ratio = median / baseline;
  return {
    row,
    status: "measured",
    samples,
    rps,
    p50: { median: 1, min: 1, max: 1 },
    p99: { median: 2, min: 2, max: 2 },
    ratio: { median: ratio, min: ratio, max: ratio },
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
    rowResult("bare-read-no-cookie", "read", 1000, 1000),
    rowResult("stack-sqlite-read", "read", 960, 1000),
    rowResult("stack-cookie-read", "read", 990, 1000),
    rowResult("stack-sqlite-write", "write", 500, 1000),
    rowResult("express-session-sqlite-write", "write", 450, 1000),
  ];

  it("calls a target met or missed from the numbers, and says by how much", () => {
    const targets = evaluateTargets({
      mode: "full",
      throughput,
      lostWrites: [lostEntry("stack-sqlite", 63)],
    });
    const byId = new Map(targets.map((target) => [target.id, target]));
    expect(byId.get("read-cost-sqlite")).toMatchObject({ status: "missed" });
    expect(byId.get("read-cost-sqlite")!.detail).toContain("costs 4.0%");
    expect(byId.get("read-cost-cookie")).toMatchObject({ status: "met" });
    expect(byId.get("read-cost-redis")).toMatchObject({ status: "pending" });
    expect(byId.get("write-cost-sqlite")).toMatchObject({ status: "met" });
    expect(byId.get("write-cost-sqlite")!.detail).toContain("same-round ratio +11.1%");
    expect(byId.get("lost-writes-sqlite")).toMatchObject({ status: "missed" });
    expect(byId.get("lost-writes-sqlite")!.detail).toContain("63/64");
  });

  it("judges nothing in a smoke run", () => {
    const targets = evaluateTargets({ mode: "smoke", throughput, lostWrites: [lostEntry("stack-sqlite", 64)] });
    expect(new Set(targets.map((target) => target.status))).toEqual(new Set(["not checked"]));
  });

  it("renders the tables and an SVG with one bar per measured row and escaped labels", () => {
    const results: BenchResults = {
      command: "npm run bench",
      mode: "full",
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
      },
      throughput,
      lostWrites: [lostEntry("stack-sqlite", 64)],
      growth: [{ sessions: 1000, applies: 10, fillSeconds: 0, meanMicros: 50, p50Micros: 40, p99Micros: 90 }],
      growthRatio: null,
      targets: [],
    };
    const svg = renderChart(results);
    expect(svg.startsWith("<svg ")).toBe(true);
    expect(svg).toContain(escapeXml("1. <bare-read-no-cookie>"));
    expect(svg).not.toContain("<bare-read-no-cookie>");
    expect(svg.match(/<line /g)).toHaveLength(throughput.length * 3);
    const markdown = renderMarkdown(results);
    expect(markdown).toContain("| 2 | <stack-sqlite-read> | GET /lab/ping | 960 [941–979] | 1 | 2 | 96.0% |");
    expect(markdown).toContain("odd rounds 1 → 5, even rounds 5 → 1");
    expect(markdown).toContain("64/64 (100.0%)");
    expect(markdown).toContain("1-minute load average during these rounds: 2.0 (1.5–3.0)");
  });
});

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

  it("counts the writes a cookie session loses: the last Set-Cookie keeps one write per round", async () => {
    const server = group.add(await ServerProcess.start({ kind: "stack", store: "cookie" }, { dataDir }));
    const result = await measureLostWrites([server.url], 8, 2);
    expect(result).toMatchObject({ made: 16, kept: 2, keptPerRound: [1, 1] });
  });

  it("sees every write kept by this stack's SQLite store, with two processes sharing the file", async () => {
    const place = { dataDir: path.join(dataDir, "shared") };
    const servers = await Promise.all([1, 2].map(() => ServerProcess.start({ kind: "stack", store: "sqlite" }, place)));
    servers.forEach((server) => group.add(server));
    const result = await measureLostWrites(
      servers.map((server) => server.url),
      16,
      2,
    );
    expect(result).toMatchObject({ made: 32, kept: 32 });
  });
});
