import fs from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import Database from "better-sqlite3";

import { fillSessions } from "../harness/sqlite-fill";
import { SqliteSessionStore } from "../session/stores/sqlite";

import { percentile, spread, type Spread } from "./stats";

/** The cost of one commit (`apply`) on a table already holding `sessions` rows. */
export interface GrowthResult {
  /** Rows in the table before the applies. */
  sessions: number;
  /** Applies timed, over all rounds. */
  applies: number;
  /** Seconds the direct INSERT took to fill the table. */
  fillSeconds: number;
  /** Mean time per apply over all rounds, µs. */
  meanMicros: number;
  /** Median time per apply, µs. */
  p50Micros: number;
  /** 99th percentile time per apply, µs. */
  p99Micros: number;
  /** Mean time per apply in each round, µs. */
  roundMeanMicros: number[];
  /** Process CPU µs per apply (user + system, all threads, the checkpointer's included) in each round. */
  roundCpuMicros: number[];
}

/** The largest table's cost over the smallest's, round by round. */
export interface GrowthRatio {
  largest: number;
  smallest: number;
  /** Mean time per apply, largest over smallest, in each round. */
  mean: Spread;
  /** CPU per apply, largest over smallest, in each round. */
  cpu: Spread;
  /** Median time per apply over all rounds, largest over smallest. */
  p50: number;
}

export interface GrowthSettings {
  /** Table sizes to measure, smallest first. */
  sizes: number[];
  /** Applies timed per size in all (split over the rounds; as many again run untimed first). */
  applies: number;
  /** Rounds; in each, every size is measured in turn, so load that comes and goes hits them alike. */
  rounds: number;
  /** A folder for the database files; they are deleted at the end. */
  dir: string;
  /** Told about progress. */
  log: (line: string) => void;
}

const THIRTY_DAYS_MS = 30 * 24 * 60 * 60 * 1000;

/** Long enough for the store's checkpointer (every 100 ms) to copy what the last applies wrote. */
const SETTLE_MS = 300;

const settle = () => sleep(SETTLE_MS);

/**
 * Fills one fresh file per size (the table SqliteSessionStore creates, filled with one INSERT in one
 * transaction: random 32-character ids, a small JSON session, expiry in 30 days), opens a
 * SqliteSessionStore on each, and runs `applies` untimed applies on each. Then, round by round, times
 * `applies / rounds` commits on each size in turn (the order reversed every other round), each
 * setting one key on a different, randomly chosen existing session. After each size's turn the run
 * pauses until the checkpointer has copied those commits' pages, and that CPU counts to their size.
 */
export async function measureGrowth(settings: GrowthSettings): Promise<GrowthResult[]> {
  fs.mkdirSync(settings.dir, { recursive: true });
  const perRound = Math.max(1, Math.floor(settings.applies / settings.rounds));
  const tables: Table[] = [];
  try {
    for (const sessions of settings.sizes) {
      const filename = path.join(settings.dir, `growth-${sessions}.sqlite`);
      const started = performance.now();
      const ids = fill(filename, sessions, settings.applies * 2);
      const fillSeconds = (performance.now() - started) / 1000;
      settings.log(`growth ${String(sessions).padStart(8)} sessions: filled in ${fillSeconds.toFixed(1)} s`);
      const table: Table = {
        sessions,
        filename,
        fillSeconds,
        ids,
        next: 0,
        store: new SqliteSessionStore({ filename, purgeInterval: 0 }),
        times: [],
        roundMeans: [],
        roundCpu: [],
      };
      tables.push(table);
      await applies(table, settings.applies);
      await settle();
    }
    for (let round = 1; round <= settings.rounds; round++) {
      const order = round % 2 === 1 ? tables : [...tables].reverse();
      for (const table of order) {
        const before = process.cpuUsage();
        const times = await applies(table, perRound);
        // The checkpoint of these commits' pages runs after them, and is their cost, not the next size's.
        await settle();
        const used = process.cpuUsage(before);
        const mean = times.reduce((sum, time) => sum + time, 0) / times.length;
        const cpu = (used.user + used.system) / perRound;
        table.times.push(...times);
        table.roundMeans.push(mean);
        table.roundCpu.push(cpu);
        settings.log(
          `growth round ${round}/${settings.rounds} ${String(table.sessions).padStart(8)} sessions: apply mean ${mean.toFixed(1)} µs, CPU ${cpu.toFixed(1)} µs`,
        );
      }
    }
    return tables.map(({ sessions, fillSeconds, times, roundMeans, roundCpu }) => {
      const sorted = [...times].sort((a, b) => a - b);
      return {
        sessions,
        applies: times.length,
        fillSeconds,
        meanMicros: times.reduce((sum, time) => sum + time, 0) / times.length,
        p50Micros: percentile(sorted, 0.5),
        p99Micros: percentile(sorted, 0.99),
        roundMeanMicros: roundMeans,
        roundCpuMicros: roundCpu,
      };
    });
  } finally {
    for (const table of tables) {
      await table.store.close();
      for (const suffix of ["", "-wal", "-shm"]) fs.rmSync(table.filename + suffix, { force: true });
    }
  }
}

/**
 * The largest table's cost over the smallest's. The mean and CPU ratios are taken within each round,
 * where the two sizes ran back to back, and summarised over the rounds.
 */
export function growthRatio(results: GrowthResult[]): GrowthRatio | null {
  const smallest = results[0];
  const largest = results[results.length - 1];
  if (!smallest || !largest || smallest === largest) return null;
  const ratios = (large: number[], small: number[]) => spread(large.map((value, round) => value / small[round]));
  return {
    largest: largest.sessions,
    smallest: smallest.sessions,
    mean: ratios(largest.roundMeanMicros, smallest.roundMeanMicros),
    cpu: ratios(largest.roundCpuMicros, smallest.roundCpuMicros),
    p50: largest.p50Micros / smallest.p50Micros,
  };
}

interface Table {
  sessions: number;
  filename: string;
  fillSeconds: number;
  ids: string[];
  /** Index of the next id to write, cycling. */
  next: number;
  store: SqliteSessionStore;
  /** Time of each timed apply, µs. */
  times: number[];
  /** Mean µs per apply, one per round. */
  roundMeans: number[];
  /** CPU µs per apply, one per round. */
  roundCpu: number[];
}

/** Creates and fills the table; returns up to `sample` ids of existing sessions in random order. */
function fill(filename: string, sessions: number, sample: number): string[] {
  new SqliteSessionStore({ filename, purgeInterval: 0 }).close();
  const db = new Database(filename);
  db.pragma("cache_size = -262144");
  db.pragma("synchronous = OFF");
  try {
    const expires = Date.now() + THIRTY_DAYS_MS;
    db.transaction(() => {
      fillSessions(db, sessions, expires);
    })();
    const ids = db
      .prepare<[number], { id: string }>("SELECT id FROM sessions ORDER BY random() LIMIT ?")
      .all(sample)
      .map((row) => row.id);
    db.pragma("wal_checkpoint(TRUNCATE)");
    return ids;
  } finally {
    db.close();
  }
}

/** Runs `count` applies on `table`, each on the next session of its sample; returns µs each. */
async function applies(table: Table, count: number): Promise<number[]> {
  const expires = new Date(Date.now() + THIRTY_DAYS_MS);
  const times: number[] = [];
  for (let index = 0; index < count; index++) {
    const id = table.ids[table.next++ % table.ids.length];
    const changes = { set: { "mark:growth": new Date().toISOString() }, unset: [], consumed: {} };
    const started = process.hrtime.bigint();
    await table.store.commit({ readId: id, destroy: false, id, changes, expires, lifetime: null });
    times.push(Number(process.hrtime.bigint() - started) / 1000);
  }
  return times;
}
