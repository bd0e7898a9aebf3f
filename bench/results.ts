/** The shape of one run's results (results.json), shared by the phases, the report and the chart. */
import type { GrowthRatio, GrowthResult } from "./growth";
import type { LockWaitResult } from "./lock-wait";
import type { LostWritesResult } from "./lost-writes";
import type { MicroResults } from "./micro";
import type { BenchSettings } from "./options";
import type { ProfileResult } from "./profile";
import type { Spread } from "./stats";
import type { RowResult } from "./throughput";

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
  /** "unresolved": the rounds fell on both sides of the target, so this run cannot judge it. */
  status: "met" | "missed" | "unresolved" | "pending" | "not checked";
  /** The numbers behind the verdict. */
  detail: string;
}

/** The microbenchmark's numbers and the template server's CPU per request they are judged against. */
export interface MicroReport extends MicroResults {
  /** The template server's CPU µs per request on GET /lab/ping; null when it could not be measured. */
  templateCpuMicros: number | null;
  /** Where that figure comes from. */
  templateSource: string;
}

/** Everything one run produced; results.json holds exactly this. Sections of phases not run are absent. */
export interface BenchResults {
  /** The command that produced it. */
  command: string;
  mode: "full" | "smoke";
  /** The phases that ran, in order. */
  phases: string[];
  startedAt: string;
  elapsedSeconds: number;
  machine: MachineInfo;
  /** The run's sizes, as bench/options.ts parsed them. */
  settings: BenchSettings;
  /** The 1-minute load average sampled every 5 s during the throughput rounds. */
  loadAverage?: Spread;
  throughput?: RowResult[];
  lostWrites?: LostWritesEntry[];
  growth?: GrowthResult[];
  growthRatio?: GrowthRatio | null;
  lockWait?: LockWaitResult;
  micro?: MicroReport;
  profile?: ProfileResult;
  targets: TargetResult[];
  /** The phase that failed and ended the run early, with its error; absent when every phase ran. */
  failure?: { phase: string; message: string };
}
