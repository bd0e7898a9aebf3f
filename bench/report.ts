import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { renderChart } from "./chart";
import type { BenchSettings } from "./options";
import type { GrowthResult } from "./growth";
import type { LostWritesResult } from "./lost-writes";
import type { Spread } from "./stats";
import { pairedRatios, type RowResult } from "./throughput";

/** Where the numbers came from. */
export interface MachineInfo {
  /** `nproc`. */
  nproc: number;
  /** The CPU's "model name" from /proc/cpuinfo. */
  cpu: string;
  /** `process.version`. */
  node: string;
  /** `os.platform()` and `os.release()`. */
  os: string;
  /** The commit the bench ran on, "+dirty" when the tree had changes. */
  commit: string;
}

/** Writes kept by one server setup at every K. */
export interface LostWritesEntry {
  /** Server key. */
  server: string;
  /** What the server is, as the tables print it. */
  label: string;
  /** Server processes sharing the store, taking the K requests in turns. */
  processes: number;
  status: "measured" | "unavailable";
  /** Why it did not run. */
  note?: string;
  results: LostWritesResult[];
}

/** A stated target and whether this run met it. */
export interface TargetResult {
  id: string;
  /** The target in words. */
  statement: string;
  status: "met" | "missed" | "pending" | "not checked";
  /** The numbers behind the verdict. */
  detail: string;
}

/** Everything one run produced; results.json holds exactly this. */
export interface BenchResults {
  /** The command that produced it. */
  command: string;
  mode: "full" | "smoke";
  startedAt: string;
  elapsedSeconds: number;
  /** The 1-minute load average sampled every 5 s during the throughput rounds. */
  loadAverage: Spread;
  machine: MachineInfo;
  /** The run's sizes, as bench/options.ts parsed them. */
  settings: BenchSettings;
  throughput: RowResult[];
  lostWrites: LostWritesEntry[];
  growth: GrowthResult[];
  /** Cost per apply with the largest table divided by the cost with the smallest. */
  growthRatio: { mean: number; p50: number; largest: number; smallest: number } | null;
  targets: TargetResult[];
}

/** Reads nproc, the CPU model, Node's version and the commit. */
export function machineInfo(): MachineInfo {
  const cpuinfo = fs.existsSync("/proc/cpuinfo") ? fs.readFileSync("/proc/cpuinfo", "utf8") : "";
  const cpu = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? "unknown";
  return {
    nproc: Number(run("nproc")) || os.availableParallelism(),
    cpu,
    node: process.version,
    os: `${os.platform()} ${os.release()}`,
    commit:
      run("git", "rev-parse", "--short", "HEAD") +
      (run("git", "status", "--porcelain", "--untracked-files=no") ? "+dirty" : ""),
  };
}

function run(command: string, ...args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "";
  }
}

/**
 * The stated targets checked against this run's numbers. Timing targets never fail the run; a
 * smoke run is too short to judge any of them, so there they come out "not checked".
 */
export function evaluateTargets(results: Pick<BenchResults, "throughput" | "lostWrites" | "mode">): TargetResult[] {
  const targets = judgeTargets(results);
  if (results.mode === "full") return targets;
  return targets.map((target) => ({ ...target, status: "not checked", detail: `smoke run; ${target.detail}` }));
}

function judgeTargets(results: Pick<BenchResults, "throughput" | "lostWrites">): TargetResult[] {
  const rows = new Map(results.throughput.map((result) => [result.row.id, result]));
  const targets: TargetResult[] = [];

  for (const store of ["sqlite", "cookie", "redis"]) {
    const read = rows.get(`stack-${store}-read`);
    const statement = `A session read but unchanged (${store} store) costs at most 3% of row 1's throughput`;
    if (!read?.rps || !read.ratio) {
      targets.push({ id: `read-cost-${store}`, statement, status: "pending", detail: read?.note ?? "not measured" });
      continue;
    }
    const cost = (1 - read.ratio.median) * 100;
    targets.push({
      id: `read-cost-${store}`,
      statement,
      status: cost <= 3 ? "met" : "missed",
      detail:
        `${fmt(read.rps.median)} req/s; ${pct(read.ratio.median)} of row 1 (rounds: ${pct(read.ratio.min)}–${pct(read.ratio.max)}): ` +
        `costs ${cost.toFixed(1)}%`,
    });
  }

  for (const store of ["sqlite", "redis"]) {
    const ours = rows.get(`stack-${store}-write`);
    const peer = rows.get(`express-session-${store}-write`);
    const statement = `A write (${store}) costs no more than express-session with the same store`;
    if (!ours?.rps || !peer?.rps) {
      targets.push({
        id: `write-cost-${store}`,
        statement,
        status: "pending",
        detail: ours?.note ?? peer?.note ?? "not measured",
      });
      continue;
    }
    const ratio = pairedRatios(ours, peer);
    if (!ratio) {
      targets.push({ id: `write-cost-${store}`, statement, status: "pending", detail: "rows measured unevenly" });
      continue;
    }
    const noise = ratio.min < 1 && ratio.max > 1 ? "; inside the round-to-round noise" : "";
    targets.push({
      id: `write-cost-${store}`,
      statement,
      status: ratio.median >= 1 ? "met" : "missed",
      detail:
        `${fmt(ours.rps.median)} vs ${fmt(peer.rps.median)} req/s; same-round ratio ${signed((ratio.median - 1) * 100)}% ` +
        `(rounds: ${signed((ratio.min - 1) * 100)}% to ${signed((ratio.max - 1) * 100)}%)${noise}`,
    });
  }

  for (const store of ["sqlite", "redis"]) {
    const entries = results.lostWrites.filter((entry) => entry.server === `stack-${store}`);
    const statement = `The ${store} store keeps 100% of concurrent writes at K = 64`;
    const measured = entries.filter((entry) => entry.status === "measured");
    const largest = measured.flatMap((entry) => {
      const top = entry.results.reduce<LostWritesResult | undefined>(
        (a, b) => (!a || b.clients > a.clients ? b : a),
        undefined,
      );
      return top ? [{ processes: entry.processes, result: top }] : [];
    });
    if (largest.length === 0) {
      targets.push({
        id: `lost-writes-${store}`,
        statement,
        status: "pending",
        detail: entries[0]?.note ?? "not measured",
      });
      continue;
    }
    const all = largest.every(({ result }) => result.kept === result.made);
    const detail = largest
      .map(
        ({ processes, result }) =>
          `${result.kept}/${result.made} at K = ${result.clients}, ${processes} process${processes > 1 ? "es" : ""}`,
      )
      .join("; ");
    targets.push({ id: `lost-writes-${store}`, statement, status: all ? "met" : "missed", detail });
  }
  return targets;
}

/** results.md: the tables, the targets and how the numbers were made. */
export function renderMarkdown(results: BenchResults): string {
  const { machine, settings } = results;
  const lines: string[] = [];
  lines.push(`# Session benchmark results${results.mode === "smoke" ? " (smoke run: not for comparison)" : ""}`, "");
  lines.push(
    `\`${results.command}\` on ${results.startedAt.slice(0, 10)}, ${machine.nproc} cores (\`nproc\`), ${machine.cpu}, ` +
      `Node ${machine.node}, ${machine.os}, commit ${machine.commit}; the whole run took ${Math.round(results.elapsedSeconds)} s.`,
    "",
  );

  lines.push("## Throughput and latency", "");
  const perMeasurement = settings.amount ? `${settings.amount} requests` : `${settings.durationSeconds} s`;
  lines.push(
    `autocannon, ${settings.connections} connections, ${perMeasurement} per measurement, ${settings.rounds} round(s) taking turns ` +
      `across all rows (odd rounds 1 → ${results.throughput.length}, even rounds ${results.throughput.length} → 1) after a ` +
      `${settings.warmupSeconds} s warm-up each. Each server runs in its own process. Sessions start with ` +
      `${settings.sessionKeys} keys; a write sets one of them (\`GET /lab/mark/b<n>\`, n cycling), so the session keeps its ` +
      `size. Medians over the rounds, min–max in brackets. "vs row 1" divides each round's req/s by row 1's in the same ` +
      `round, so load that comes and goes on the machine cancels out.`,
    "",
  );
  const load = results.loadAverage;
  lines.push(
    `1-minute load average during these rounds: ${load.median.toFixed(1)} (${load.min.toFixed(1)}–${load.max.toFixed(1)}); ` +
      `on an otherwise idle machine the bench alone keeps it between 1 and 2 (server and load generator); more means ` +
      `other work shared the machine.`,
    "",
  );
  lines.push("| # | what | request | req/s median [min–max] | p50 ms | p99 ms | vs row 1 |");
  lines.push("|---|---|---|---|---|---|---|");
  results.throughput.forEach((result, index) => {
    const request = `${result.row.action === "read" ? "GET /lab/ping" : "GET /lab/mark/<k>"}${result.row.withSession ? "" : " (no cookie)"}`;
    const what = result.row.label;
    if (!result.rps) {
      lines.push(`| ${index + 1} | ${what} | ${request} | ${result.note ?? "not measured"} | | | |`);
      return;
    }
    lines.push(
      `| ${index + 1} | ${what} | ${request} | ${fmt(result.rps.median)} [${fmt(result.rps.min)}–${fmt(result.rps.max)}] | ` +
        `${result.p50!.median} | ${result.p99!.median} | ${result.ratio ? ratioCell(result.ratio) : ""} |`,
    );
  });
  lines.push("");

  lines.push("## Targets", "");
  lines.push("| target | verdict | numbers |", "|---|---|---|");
  for (const target of results.targets) lines.push(`| ${target.statement} | ${target.status} | ${target.detail} |`);
  lines.push("");

  lines.push("## Writes kept when K clients of one session write at once", "");
  lines.push(
    `Each round sends K requests with the same session cookie at the same moment, each writing its own key, then reads the ` +
      `session back; ${settings.lostWritesRounds} round(s) per K. The client keeps the last Set-Cookie it receives, as a browser does. ` +
      `"2 processes": two server processes share the store and take the requests in turns, as a deployment with one process per core does.`,
    "",
  );
  const ks = settings.lostWritesClients;
  lines.push(`| server | processes | ${ks.map((k) => `K = ${k}`).join(" | ")} |`);
  lines.push(`|---|---|${ks.map(() => "---").join("|")}|`);
  for (const entry of results.lostWrites) {
    const cells = ks.map((k) => {
      if (entry.status !== "measured") return entry.note ?? "not measured";
      const result = entry.results.find((candidate) => candidate.clients === k);
      return result ? `${result.kept}/${result.made} (${pct(result.kept / result.made)})` : "";
    });
    lines.push(`| ${entry.label} | ${entry.processes} | ${cells.join(" | ")} |`);
  }
  lines.push("");

  lines.push("## SQLite commit cost as the table grows", "");
  lines.push(
    `The table SqliteSessionStore creates, filled directly with one INSERT in one transaction, then ${settings.growthApplies} timed ` +
      `applies (after as many untimed) through SqliteSessionStore, each setting one key on a random existing session.`,
    "",
  );
  lines.push(
    "| sessions stored | applies | mean µs | p50 µs | p99 µs | applies/s (from mean) |",
    "|---|---|---|---|---|---|",
  );
  for (const growth of results.growth) {
    lines.push(
      `| ${fmt(growth.sessions)} | ${fmt(growth.applies)} | ${growth.meanMicros.toFixed(1)} | ${growth.p50Micros.toFixed(1)} | ` +
        `${growth.p99Micros.toFixed(1)} | ${fmt(1e6 / growth.meanMicros)} |`,
    );
  }
  if (results.growthRatio) {
    const { mean, p50, largest, smallest } = results.growthRatio;
    lines.push(
      "",
      `Ratio ${fmt(largest)} / ${fmt(smallest)} sessions: ${mean.toFixed(2)}× (mean), ${p50.toFixed(2)}× (p50).`,
    );
  }
  lines.push("");
  return lines.join("\n");
}

/** Writes results.json, results.md and results.svg into `dir` and checks they are there. */
export function writeResults(dir: string, results: BenchResults): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const files: Array<[string, string]> = [
    ["results.json", `${JSON.stringify(results, null, 2)}\n`],
    ["results.md", renderMarkdown(results)],
    ["results.svg", renderChart(results)],
  ];
  const written = files.map(([name, content]) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    if (fs.statSync(file).size !== Buffer.byteLength(content)) throw new Error(`${file} was not written completely`);
    return file;
  });
  return written;
}

/** 1234.5 → "1,235". */
export function fmt(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

function ratioCell(ratio: Spread): string {
  return ratio.min === ratio.max ? pct(ratio.median) : `${pct(ratio.median)} [${pct(ratio.min)}–${pct(ratio.max)}]`;
}

function pct(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}

function signed(value: number): string {
  return `${value >= 0 ? "+" : ""}${value.toFixed(1)}`;
}
