/**
 * Run by bench/profile.ts under `node --cpu-prof`: the session's hot path (`withSession` around a
 * trivial handler) on SQLite and the cookie store, each operation in its own stretch of time, which
 * it reports over IPC. Reads its sizes from BENCH_PROFILE.
 */
import { openStoreOperations } from "./micro";

export interface ProfileLaunch {
  iterations: number;
  sessionKeys: number;
  dataDir: string;
}

/** A stretch of the run, in the monotonic clock's µs (the clock the CPU profile's timestamps use). */
export interface ProfileWindow {
  name: string;
  startMicros: number;
  endMicros: number;
}

const nowMicros = () => Number(process.hrtime.bigint() / 1000n);

async function repeat(run: (iteration: number) => Promise<unknown>, iterations: number): Promise<void> {
  for (let index = 0; index < iterations; index++) await run(index);
}

async function main() {
  const launch = JSON.parse(process.env.BENCH_PROFILE ?? "null") as ProfileLaunch | null;
  if (!launch) throw new Error("bench/profile-target.ts is started by bench/profile.ts");
  const { iterations, ...place } = launch;
  const sqlite = await openStoreOperations("sqlite", place);
  const cookie = await openStoreOperations("cookie", place);
  try {
    // Warm the JIT first, so the profile shows the steady state rather than compilation.
    for (const ops of [sqlite, cookie]) {
      await repeat(ops.unchanged, Math.ceil(iterations / 10));
      await repeat(ops.write, Math.ceil(iterations / 10));
    }
    // Only these stretches go into the flame graphs: not the start-up, the seeding or the warm-up.
    const windows: ProfileWindow[] = [];
    const runs: Array<[string, (iteration: number) => Promise<unknown>]> = [
      ["SQLite: a read, nothing changed", sqlite.unchanged],
      ["SQLite: one key written", sqlite.write],
      ["cookie: a read, nothing changed", cookie.unchanged],
      ["cookie: one key written", cookie.write],
    ];
    for (const [name, run] of runs) {
      const startMicros = nowMicros();
      await repeat(run, iterations);
      windows.push({ name, startMicros, endMicros: nowMicros() });
    }
    process.send?.(windows, () => process.disconnect());
  } finally {
    await sqlite.close();
    await cookie.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
