import { parseArgs } from "node:util";

/** The bench's phases, in the order they run. */
export const PHASE_NAMES = ["throughput", "lost-writes", "growth", "lock-wait", "micro", "profile"] as const;
export type PhaseName = (typeof PHASE_NAMES)[number];

/** How big a run is. */
export interface BenchOptions {
  mode: "full" | "smoke";
  /** The phases to run, in PHASE_NAMES order. */
  phases: PhaseName[];
  /** Where results.{json,md,svg} go. */
  outDir: string;
  connections: number;
  durationSeconds: number;
  /** Requests per measurement instead of a duration (smoke). */
  amount?: number;
  rounds: number;
  warmupSeconds: number;
  sessionKeys: number;
  lostWritesClients: number[];
  lostWritesRounds: number;
  /** Server processes sharing one store in the lost-writes runs. */
  lostWritesProcesses: number[];
  growthSizes: number[];
  /** Applies timed per table size, split over `growthRounds` rounds. */
  growthApplies: number;
  growthRounds: number;
  /** How long another process holds SQLite's write lock in the lock-wait phase, ms. */
  lockWaitHoldMs: number;
  /** Reads made during that lock, 100 ms apart. */
  lockWaitReads: number;
  /** Calls per microbenchmark measurement; each operation is measured `microRounds` times. */
  microIterations: number;
  microRounds: number;
  /** Calls of each profiled operation under `node --cpu-prof`. */
  profileIterations: number;
}

/** The sizes of a run, as results.json records them. */
export type BenchSettings = Omit<BenchOptions, "mode" | "outDir" | "lostWritesProcesses" | "phases">;

/** The sizes of a run, without where it writes, its mode or its phases. */
export function settingsOf(options: BenchOptions): BenchSettings {
  const { mode: _mode, outDir: _outDir, lostWritesProcesses: _processes, phases: _phases, ...settings } = options;
  return settings;
}

const USAGE = `npm run bench [-- --smoke] [--micro] [--phases LIST] [--out DIR] [--rounds N] [--duration SECONDS]

  --smoke        every phase, briefly; no timing targets checked (also BENCH_SMOKE=1)
  --micro        only the in-process microbenchmark (the same as --phases micro)
  --phases LIST  comma-separated, from: ${PHASE_NAMES.join(", ")} (default: all)
  --out DIR      where results.json, results.md and the SVGs go
                 (default bench/results, or bench/results/tmp with --smoke)
  --rounds N     measurements per throughput row (default 7)
  --duration S   seconds per measurement (default 3)`;

/** Reads the command line (and BENCH_SMOKE); throws with the usage on anything unknown. */
export function parseOptions(argv: string[], env: Record<string, string | undefined> = process.env): BenchOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        smoke: { type: "boolean" },
        micro: { type: "boolean" },
        phases: { type: "string" },
        out: { type: "string" },
        rounds: { type: "string" },
        duration: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new Error(`${(error as Error).message}\n\n${USAGE}`);
  }
  if (values.help) throw new Error(USAGE);

  const smoke = values.smoke === true || ["1", "true", "yes"].includes((env.BENCH_SMOKE ?? "").toLowerCase());
  const base: BenchOptions = smoke
    ? {
        mode: "smoke",
        phases: [...PHASE_NAMES],
        outDir: "bench/results/tmp",
        connections: 4,
        durationSeconds: 1,
        amount: 20,
        rounds: 1,
        warmupSeconds: 0,
        sessionKeys: 4,
        lostWritesClients: [4],
        lostWritesRounds: 1,
        lostWritesProcesses: [1, 2],
        growthSizes: [1_000],
        growthApplies: 200,
        growthRounds: 1,
        lockWaitHoldMs: 500,
        lockWaitReads: 3,
        microIterations: 200,
        microRounds: 1,
        profileIterations: 300,
      }
    : {
        mode: "full",
        phases: [...PHASE_NAMES],
        outDir: "bench/results",
        connections: 10,
        durationSeconds: 3,
        rounds: 7,
        warmupSeconds: 1,
        sessionKeys: 32,
        lostWritesClients: [8, 32, 64],
        lostWritesRounds: 5,
        lostWritesProcesses: [1, 2],
        growthSizes: [1_000, 100_000, 1_000_000],
        growthApplies: 5_000,
        growthRounds: 5,
        lockWaitHoldMs: 3_000,
        lockWaitReads: 15,
        microIterations: 10_000,
        microRounds: 3,
        profileIterations: 20_000,
      };
  if (values.micro && values.phases) throw new Error(`--micro and --phases do not go together.\n\n${USAGE}`);
  if (values.micro) base.phases = ["micro"];
  if (values.phases) base.phases = parsePhases(values.phases);
  if (values.out) base.outDir = values.out;
  if (values.rounds) base.rounds = positiveInteger("--rounds", values.rounds);
  if (values.duration) {
    base.durationSeconds = positiveInteger("--duration", values.duration);
    base.amount = undefined;
  }
  return base;
}

function parsePhases(raw: string): PhaseName[] {
  const asked = raw.split(",").map((name) => name.trim());
  const unknown = asked.filter((name) => !(PHASE_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0 || asked.length === 0)
    throw new Error(`--phases: unknown phase ${unknown.map((name) => `"${name}"`).join(", ")}.\n\n${USAGE}`);
  return PHASE_NAMES.filter((name) => asked.includes(name));
}

function positiveInteger(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a whole number of at least 1; got "${raw}".\n\n${USAGE}`);
  return value;
}
