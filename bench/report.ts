import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { renderChart } from "./chart";
import type { GrowthRatio } from "./growth";
import type { LockWaitResult } from "./lock-wait";
import type { LostWritesResult } from "./lost-writes";
import type { MicroOperation } from "./micro";
import type { BenchResults, MachineInfo, MicroReport, TargetResult } from "./results";
import { spread, type Spread } from "./stats";
import { pairedCpuCost, type RowResult } from "./throughput";

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

/** Budgets from the issue: what a session may add to the template server's CPU per request on /lab/ping. */
export const READ_BUDGET = 0.03;
export const WRITE_BUDGET = 0.08;
/** The stores the budgets apply to. */
const BUDGET_STORES = ["sqlite", "redis", "cookie"] as const;

/** The parts of a run the targets are judged from. */
export type JudgedResults = Pick<BenchResults, "mode"> &
  Partial<Pick<BenchResults, "throughput" | "lostWrites" | "micro" | "growthRatio" | "lockWait">>;

/**
 * The stated targets checked against this run's numbers. Timing targets never fail the run; a
 * smoke run is too short to judge any of them, so there they come out "not checked".
 */
export function evaluateTargets(results: JudgedResults): TargetResult[] {
  const targets = judgeTargets(results);
  if (results.mode === "full") return targets;
  return targets.map((target) => ({ ...target, status: "not checked", detail: `smoke run; ${target.detail}` }));
}

function judgeTargets(results: JudgedResults): TargetResult[] {
  const targets: TargetResult[] = [];
  if (results.throughput) targets.push(...throughputTargets(results.throughput));
  if (results.micro) targets.push(...microTargets(results.micro));
  if (results.lostWrites) targets.push(...lostWritesTargets(results.lostWrites));
  if (results.growthRatio) targets.push(growthTarget(results.growthRatio));
  if (results.lockWait) targets.push(lockWaitTarget(results.lockWait));
  return targets;
}

/**
 * An end-to-end cost judged round by round: met when every round kept within `budget`, missed when
 * none did, unresolved when the rounds fell on both sides, as they do when the machine's noise between
 * rounds is wider than the budget itself (the in-process figures then decide).
 */
function verdictOfRounds(rounds: Spread, budget: number): TargetResult["status"] {
  if (rounds.max <= budget) return "met";
  if (rounds.min > budget) return "missed";
  return "unresolved";
}

function throughputTargets(throughput: RowResult[]): TargetResult[] {
  const rows = new Map(throughput.map((result) => [result.row.id, result]));
  const targets: TargetResult[] = [];
  for (const [action, budget, what] of [
    ["read", READ_BUDGET, "An unchanged session read"],
    ["write", WRITE_BUDGET, "A one-key write"],
  ] as const) {
    for (const store of BUDGET_STORES) {
      const id = `cpu-${action}-${store}`;
      const statement = `${what} (${store}) adds at most ${pct(budget, 0)} to the template server's CPU per request`;
      const row = rows.get(`stack-${store}-${action}`);
      if (!row?.cpuCost || !row.cpu) {
        targets.push({ id, statement, status: "pending", detail: row?.note ?? "not measured" });
        continue;
      }
      const template = rows.get(row.row.baseline)?.cpu;
      targets.push({
        id,
        statement,
        status: verdictOfRounds(row.cpuCost, budget),
        detail:
          `${micros(row.cpu.median)} vs ${template ? micros(template.median) : "?"} CPU per request: ` +
          `adds ${signedPct(row.cpuCost.median)} (rounds: ${signedPct(row.cpuCost.min)} to ${signedPct(row.cpuCost.max)})`,
      });
    }
  }

  for (const store of ["sqlite", "redis"]) {
    const id = `write-cost-${store}`;
    const statement = `A write (${store}) costs no more server CPU than express-session's with the same store`;
    const ours = rows.get(`stack-${store}-write`);
    const peer = rows.get(`express-session-${store}-write`);
    const cost = pairedCpuCost(ours, peer);
    if (!ours?.cpu || !peer?.cpu || !cost) {
      targets.push({ id, statement, status: "pending", detail: ours?.note ?? peer?.note ?? "not measured" });
      continue;
    }
    const noise = cost.min < 0 && cost.max > 0 ? "; inside the round-to-round noise" : "";
    targets.push({
      id,
      statement,
      status: verdictOfRounds(cost, 0),
      detail:
        `${micros(ours.cpu.median)} vs ${micros(peer.cpu.median)} CPU per request; same-round difference ${signedPct(cost.median)} ` +
        `(rounds: ${signedPct(cost.min)} to ${signedPct(cost.max)})${noise}`,
    });
  }
  return targets;
}

/** What an operation adds beyond the handler alone, in µs; null when either was not measured. */
export function microCost(micro: MicroReport, id: string): number | null {
  const operation = micro.operations.find((candidate) => candidate.id === id);
  const handler = micro.operations.find((candidate) => candidate.id === "handler-alone");
  return operation && handler ? operation.micros.median - handler.micros.median : null;
}

function microTargets(micro: MicroReport): TargetResult[] {
  const targets: TargetResult[] = [];
  for (const [operation, budget, what] of [
    ["unchanged", READ_BUDGET, "In-process, an unchanged read"],
    ["write", WRITE_BUDGET, "In-process, a one-key write"],
  ] as const) {
    for (const store of BUDGET_STORES) {
      const id = `micro-${operation}-${store}`;
      const statement = `${what} (${store}) costs at most ${pct(budget, 0)} of the template server's CPU per request`;
      const cost = microCost(micro, `${store}-${operation}`);
      const skipped = micro.skipped.find((skip) => skip.store === store);
      if (cost === null || !micro.templateCpuMicros) {
        targets.push({ id, statement, status: "pending", detail: skipped?.reason ?? "not measured" });
        continue;
      }
      const share = cost / micro.templateCpuMicros;
      targets.push({
        id,
        statement,
        status: share <= budget ? "met" : "missed",
        detail: `${micros(cost)} of ${micros(micro.templateCpuMicros)}: ${pct(share)}`,
      });
    }
  }
  return targets;
}

function lostWritesTargets(lostWrites: NonNullable<BenchResults["lostWrites"]>): TargetResult[] {
  const targets: TargetResult[] = [];
  for (const [server, store] of [
    ["stack-sqlite", "SQLite"],
    ["stack-redis", "Redis"],
    ["worker-durable-object", "Durable Object (workerd)"],
  ]) {
    const entries = lostWrites.filter((entry) => entry.server === server);
    const statement = `The ${store} store keeps 100% of concurrent writes at K = 64`;
    const id = `lost-writes-${server.replace(/^(stack|worker)-/, "")}`;
    const largest = entries
      .filter((entry) => entry.status === "measured")
      .flatMap((entry) => {
        const top = entry.results.reduce<LostWritesResult | undefined>(
          (a, b) => (!a || b.clients > a.clients ? b : a),
          undefined,
        );
        return top ? [{ processes: entry.processes, result: top }] : [];
      });
    if (largest.length === 0) {
      targets.push({ id, statement, status: "pending", detail: entries[0]?.note ?? "not measured" });
      continue;
    }
    const all = largest.every(({ result }) => result.kept === result.made);
    const detail = largest
      .map(
        ({ processes, result }) =>
          `${result.kept}/${result.made} at K = ${result.clients}, ${processes} process${processes > 1 ? "es" : ""}`,
      )
      .join("; ");
    targets.push({ id, statement, status: all ? "met" : "missed", detail });
  }
  return targets;
}

/** results.md: the tables, the targets and how the numbers were made; sections of phases not run are left out. */
export function renderMarkdown(results: BenchResults): string {
  const { machine } = results;
  const lines: string[] = [];
  lines.push(`# Session benchmark results${results.mode === "smoke" ? " (smoke run: not for comparison)" : ""}`, "");
  lines.push(
    `\`${results.command}\` on ${results.startedAt.slice(0, 10)}, ${machine.nproc} cores (\`nproc\`), ${machine.cpu}, ` +
      `Node ${machine.node}, ${machine.os}, commit ${machine.commit}; phases ${results.phases.join(", ")}; ` +
      `the whole run took ${Math.round(results.elapsedSeconds)} s.`,
    "",
  );
  if (results.failure) {
    lines.push(
      `**The run ended early: phase ${results.failure.phase} failed.** ${results.failure.message.split("\n")[0]}`,
      "",
    );
  }
  if (results.throughput) lines.push(...throughputSection(results, results.throughput));
  if (results.targets.length > 0) {
    lines.push("## Targets", "");
    lines.push("| target | verdict | numbers |", "|---|---|---|");
    for (const target of results.targets) lines.push(`| ${target.statement} | ${target.status} | ${target.detail} |`);
    lines.push("");
  }
  if (results.micro) lines.push(...microSection(results.micro));
  if (results.lostWrites) lines.push(...lostWritesSection(results));
  if (results.growth) lines.push(...growthSection(results));
  if (results.lockWait) lines.push(...lockWaitSection(results.lockWait));
  if (results.profile) lines.push(...profileSection(results.profile));
  return lines.join("\n");
}

function throughputSection(results: BenchResults, throughput: RowResult[]): string[] {
  const { settings } = results;
  const lines: string[] = ["## Server CPU per request, throughput and latency", ""];
  const perMeasurement = settings.amount ? `${settings.amount} requests` : `${settings.durationSeconds} s`;
  lines.push(
    `autocannon, ${settings.connections} connections, ${perMeasurement} per measurement, ${settings.rounds} round(s) taking turns ` +
      `across all rows (odd rounds 1 → ${throughput.length}, even rounds ${throughput.length} → 1) after a ` +
      `${settings.warmupSeconds} s warm-up each. Each server runs in its own process. "CPU µs/req": the server process's ` +
      `CPU time (user + system, from /proc/<pid>/stat, workerd included for a Worker) during the measurement divided by ` +
      `the requests it answered. Sessions start with ${settings.sessionKeys} keys; a write sets one of them ` +
      `(\`GET /lab/mark/b<n>\`, n cycling), so the session keeps its size. Medians over the rounds, min–max in brackets. ` +
      `"adds" compares each row with its baseline row round by round (the template server, row 2; the Worker rows ` +
      `with Remix's Worker handler), so load that comes and goes on the machine cancels out.`,
    "",
  );
  const load = results.loadAverage;
  if (load) {
    lines.push(
      `1-minute load average during these rounds: ${load.median.toFixed(1)} (${load.min.toFixed(1)}–${load.max.toFixed(1)}); ` +
        `the bench alone keeps it between 1 and 2 (server and load generator); more means other work shared the machine.`,
      "",
    );
  }
  const numbers = new Map(throughput.map((result, index) => [result.row.id, index + 1]));
  lines.push(
    "| # | what | request | CPU µs/req [min–max] | adds (CPU) | req/s [min–max] | req/s vs baseline | p50 ms | p99 ms |",
  );
  lines.push("|---|---|---|---|---|---|---|---|---|");
  throughput.forEach((result, index) => {
    const request = `${result.row.action === "read" ? "GET /lab/ping" : "GET /lab/mark/<k>"}${result.row.withSession ? "" : " (no cookie)"}`;
    const number = index + 1;
    const baseline = numbers.get(result.row.baseline);
    const what = baseline === number ? `${result.row.label}` : `${result.row.label} (vs row ${baseline})`;
    if (!result.rps) {
      lines.push(`| ${number} | ${what} | ${request} | ${result.note ?? "not measured"} | | | | | |`);
      return;
    }
    const cpu = result.cpu
      ? `${result.cpu.median.toFixed(0)} [${result.cpu.min.toFixed(0)}–${result.cpu.max.toFixed(0)}]`
      : "";
    const cost = result.cpuCost && baseline !== number ? costCell(result.cpuCost) : "";
    const ratio = result.ratio && baseline !== number ? ratioCell(result.ratio) : "";
    lines.push(
      `| ${number} | ${what} | ${request} | ${cpu} | ${cost} | ${fmt(result.rps.median)} [${fmt(result.rps.min)}–${fmt(result.rps.max)}] | ` +
        `${ratio} | ${result.p50!.median} | ${result.p99!.median} |`,
    );
  });
  lines.push("");
  return lines;
}

function microSection(micro: MicroReport): string[] {
  const lines: string[] = ["## In-process microbenchmark: CPU µs per operation", ""];
  lines.push(
    `\`process.cpuUsage()\` over ${fmt(micro.iterations)} calls per measurement (after a tenth as many untimed), ` +
      `${micro.rounds} round(s), median [min–max]; every call builds its own Request, as an adapter does. The session ` +
      `holds the same keys as in the throughput rows. "adds" is the row minus the handler alone; the share is of the ` +
      `template server's CPU per request on GET /lab/ping (${micro.templateCpuMicros ? micros(micro.templateCpuMicros) : "not measured"}; ` +
      `${micro.templateSource}). Redis: only this process's CPU; the wait for Redis and Redis's own CPU are not counted.`,
    "",
  );
  lines.push("| store | operation | CPU µs per call [min–max] | adds | share of template request | budget | verdict |");
  lines.push("|---|---|---|---|---|---|---|");
  for (const operation of micro.operations) lines.push(microRow(micro, operation));
  for (const skip of micro.skipped) lines.push(`| ${skip.store} | | ${skip.reason} | | | | |`);
  lines.push("");
  return lines;
}

function microRow(micro: MicroReport, operation: MicroOperation): string {
  const { median, min, max } = operation.micros;
  const cell = `${median.toFixed(1)} [${min.toFixed(1)}–${max.toFixed(1)}]`;
  const budget = operation.id.endsWith("-unchanged")
    ? READ_BUDGET
    : operation.id.endsWith("-write")
      ? WRITE_BUDGET
      : null;
  const cost = operation.store && !operation.id.endsWith("-get-session") ? microCost(micro, operation.id) : null;
  const share = cost !== null && micro.templateCpuMicros ? cost / micro.templateCpuMicros : null;
  const judged =
    budget !== null && share !== null && (BUDGET_STORES as readonly string[]).includes(operation.store ?? "");
  return (
    `| ${operation.store ?? "—"} | ${operation.label} | ${cell} | ${cost === null ? "" : cost.toFixed(1)} | ` +
    `${share === null ? "" : pct(share)} | ${judged ? `≤ ${pct(budget!, 0)}` : ""} | ${judged ? (share! <= budget! ? "met" : "missed") : ""} |`
  );
}

function lostWritesSection(results: BenchResults): string[] {
  const { settings } = results;
  const lines: string[] = ["## Writes kept when K clients of one session write at once", ""];
  lines.push(
    `Each round sends K requests with the same session cookie at the same moment, each writing its own key, then reads the ` +
      `session back; ${settings.lostWritesRounds} round(s) per K. The client keeps the last Set-Cookie it receives, as a browser does. ` +
      `"2 processes": two server processes share the store and take the requests in turns, as a deployment with one process per core does. ` +
      `The Worker rows run the Worker build in workerd through Miniflare.`,
    "",
  );
  const ks = settings.lostWritesClients;
  lines.push(`| server | processes | ${ks.map((k) => `K = ${k}`).join(" | ")} |`);
  lines.push(`|---|---|${ks.map(() => "---").join("|")}|`);
  for (const entry of results.lostWrites ?? []) {
    const cells = ks.map((k) => {
      if (entry.status !== "measured") return entry.note ?? "not measured";
      const result = entry.results.find((candidate) => candidate.clients === k);
      return result ? `${result.kept}/${result.made} (${pct(result.kept / result.made)})` : "";
    });
    lines.push(`| ${entry.label} | ${entry.processes} | ${cells.join(" | ")} |`);
  }
  lines.push("");
  return lines;
}

/** The SQLite commit cost may grow with the table, but not past this factor from 1k to 1M sessions. */
const GROWTH_BUDGET = 1.5;

function growthTarget(ratio: GrowthRatio): TargetResult {
  const { mean, cpu, largest, smallest } = ratio;
  return {
    id: "sqlite-growth",
    statement: `An SQLite commit with ${fmt(largest)} sessions stored costs at most ${GROWTH_BUDGET}× one with ${fmt(smallest)} (mean time)`,
    status: mean.median <= GROWTH_BUDGET ? "met" : "missed",
    detail:
      `mean time ${times(mean)} (rounds: ${times(mean, "min")} to ${times(mean, "max")}); ` +
      `CPU per commit ${times(cpu)} (rounds: ${times(cpu, "min")} to ${times(cpu, "max")})`,
  };
}

function times(ratio: Spread, which: keyof Spread = "median"): string {
  return `${ratio[which].toFixed(2)}×`;
}

/** How much slower than without the lock a read may be while another process holds it, ms. */
const LOCK_WAIT_BUDGET_MS = 100;

function lockWaitTarget(lockWait: LockWaitResult): TargetResult {
  const { holdMs, extraMs, withoutMs, duringMs, eventLoop } = lockWait;
  return {
    id: "lock-wait-reads",
    statement:
      `While another process holds SQLite's write lock for ${(holdMs / 1000).toFixed(1)} s, reads are answered ` +
      `within ${LOCK_WAIT_BUDGET_MS} ms of the same reader's slowest without it`,
    status: extraMs <= LOCK_WAIT_BUDGET_MS ? "met" : "missed",
    detail:
      `slowest read ${duringMs.max} ms during the lock, ${withoutMs.max} ms without it: ${extraMs >= 0 ? "+" : ""}${extraMs} ms; ` +
      `event-loop delay p99 ${eventLoop.p99.toFixed(1)} ms, max ${eventLoop.max.toFixed(1)} ms`,
  };
}

function lockWaitSection(lockWait: LockWaitResult): string[] {
  const { holdMs, duringMs, withoutMs, readsAnswered, readsMade, eventLoop, write } = lockWait;
  return [
    "## Reads while another process holds SQLite's write lock",
    "",
    `The stack's Express app with the SQLite store runs in the bench's process. Another process takes the database's write lock (\`BEGIN IMMEDIATE\`) for ${fmt(holdMs)} ms; ` +
      `meanwhile one request writes the session (so it waits for the lock) and a third process reads the session (\`GET /lab/session\`) ${readsMade} times, 100 ms apart, timing each answer on its own clock. ` +
      "The same reader's reads just before, with no lock held, are the comparison. The event-loop delay is the app process's (`monitorEventLoopDelay`, 10 ms resolution) while the lock is held.",
    "",
    "| | reads | ms per read: median [min–max] |",
    "|---|---|---|",
    `| no lock held | ${readsMade} | ${withoutMs.median} [${withoutMs.min}–${withoutMs.max}] |`,
    `| during the lock | ${readsAnswered}/${readsMade} answered with the session | ${duringMs.median} [${duringMs.min}–${duringMs.max}] |`,
    "",
    `Event-loop delay during the lock: p99 ${eventLoop.p99.toFixed(1)} ms, max ${eventLoop.max.toFixed(1)} ms. ` +
      `The waiting write answered ${write.status}, ${write.afterRelease ? "after" : "before"} the lock was released.`,
    "",
  ];
}

function growthSection(results: BenchResults): string[] {
  const lines: string[] = ["## SQLite commit cost as the table grows", ""];
  const { growthApplies, growthRounds } = results.settings;
  lines.push(
    "One file per size, with the table SqliteSessionStore creates, filled directly with one INSERT in one transaction, " +
      `and a SqliteSessionStore open on each; ${fmt(growthApplies)} untimed applies on each, then ${growthRounds} round(s) ` +
      `in which each size in turn (the order reversed every other round) takes ${fmt(Math.floor(growthApplies / growthRounds))} ` +
      "timed applies, each setting one key on a different, randomly chosen existing session. " +
      "After each turn the run pauses 0.3 s for the store's checkpointer to copy what the turn wrote. " +
      '"CPU µs/apply" is the process\'s CPU time over the turn and that pause (all threads, so the checkpoint counts), per apply; ' +
      "times are wall-clock per apply.",
    "",
  );
  lines.push(
    "| sessions stored | applies | mean µs | p50 µs | p99 µs | CPU µs/apply [min–max] | applies/s (from mean) |",
    "|---|---|---|---|---|---|---|",
  );
  for (const growth of results.growth ?? []) {
    const cpu = spread(growth.roundCpuMicros);
    lines.push(
      `| ${fmt(growth.sessions)} | ${fmt(growth.applies)} | ${growth.meanMicros.toFixed(1)} | ${growth.p50Micros.toFixed(1)} | ` +
        `${growth.p99Micros.toFixed(1)} | ${cpu.median.toFixed(1)} [${cpu.min.toFixed(1)}–${cpu.max.toFixed(1)}] | ${fmt(1e6 / growth.meanMicros)} |`,
    );
  }
  if (results.growthRatio) {
    const { mean, cpu, p50, largest, smallest } = results.growthRatio;
    lines.push(
      "",
      `Ratio ${fmt(largest)} / ${fmt(smallest)} sessions, taken within each round: ${times(mean)} mean time ` +
        `[${times(mean, "min")}–${times(mean, "max")}], ${times(cpu)} CPU per apply [${times(cpu, "min")}–${times(cpu, "max")}]; ` +
        `${p50.toFixed(2)}× p50 over all rounds.`,
    );
  }
  lines.push("");
  return lines;
}

function profileSection(profile: NonNullable<BenchResults["profile"]>): string[] {
  const lines: string[] = ["## Where the session's CPU goes", ""];
  lines.push(`\`${profile.command}\`; flame graphs in [${profile.flameGraph}](${profile.flameGraph}).`, "");
  for (const window of profile.windows) {
    lines.push(`### ${window.name} (${fmt(window.samples)} samples)`, "");
    lines.push("| function | where | self | with callees |", "|---|---|---|---|");
    for (const hot of window.hot) {
      lines.push(`| \`${hot.name}\` | ${hot.location || "—"} | ${pct(hot.self)} | ${pct(hot.total)} |`);
    }
    lines.push("");
  }
  return lines;
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

function micros(value: number): string {
  return `${value.toFixed(1)} µs`;
}

function ratioCell(ratio: Spread): string {
  return ratio.min === ratio.max ? pct(ratio.median) : `${pct(ratio.median)} [${pct(ratio.min)}–${pct(ratio.max)}]`;
}

function costCell(cost: Spread): string {
  return cost.min === cost.max
    ? signedPct(cost.median)
    : `${signedPct(cost.median)} [${signedPct(cost.min)} to ${signedPct(cost.max)}]`;
}

function pct(ratio: number, digits = 1): string {
  return `${(ratio * 100).toFixed(digits)}%`;
}

function signedPct(ratio: number): string {
  return `${ratio >= 0 ? "+" : ""}${(ratio * 100).toFixed(1)}%`;
}
