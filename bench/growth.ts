import fs from "node:fs";
import path from "node:path";

import Database from "better-sqlite3";

import { SqliteSessionStore } from "../session/stores/sqlite";

import { percentile } from "./stats";

/** The cost of one commit (`apply`) on a table already holding `sessions` rows. */
export interface GrowthResult {
  /** Rows in the table before the applies. */
  sessions: number;
  /** Applies timed. */
  applies: number;
  /** Seconds the direct INSERT took to fill the table. */
  fillSeconds: number;
  /** Mean time per apply, µs. */
  meanMicros: number;
  /** Median time per apply, µs. */
  p50Micros: number;
  /** 99th percentile time per apply, µs. */
  p99Micros: number;
}

export interface GrowthSettings {
  /** Table sizes to measure. */
  sizes: number[];
  /** Applies timed per size (as many again run untimed first); small tables see each session more than once. */
  applies: number;
  /** A folder for the database files; each is deleted after its size is measured. */
  dir: string;
  /** Told about progress. */
  log: (line: string) => void;
}

/**
 * For each size: let SqliteSessionStore create its table in a fresh file, fill the table with one
 * INSERT in one transaction (random 32-character ids, a small JSON session, expiry in 30 days),
 * then time `applies` commits through SqliteSessionStore, each setting one key on a different,
 * randomly chosen existing session. The table is used exactly as the store creates it.
 */
export async function measureGrowth(settings: GrowthSettings): Promise<GrowthResult[]> {
  fs.mkdirSync(settings.dir, { recursive: true });
  const results: GrowthResult[] = [];
  for (const sessions of settings.sizes) {
    const filename = path.join(settings.dir, `growth-${sessions}.sqlite`);
    try {
      const started = performance.now();
      const ids = fill(filename, sessions, settings.applies * 2);
      const fillSeconds = (performance.now() - started) / 1000;
      const times = await timeApplies(filename, ids, settings.applies);
      const sorted = [...times].sort((a, b) => a - b);
      const result: GrowthResult = {
        sessions,
        applies: times.length,
        fillSeconds,
        meanMicros: times.reduce((sum, time) => sum + time, 0) / times.length,
        p50Micros: percentile(sorted, 0.5),
        p99Micros: percentile(sorted, 0.99),
      };
      results.push(result);
      settings.log(
        `growth ${String(sessions).padStart(8)} sessions: filled in ${fillSeconds.toFixed(1)} s, apply mean ${result.meanMicros.toFixed(1)} µs, p99 ${result.p99Micros.toFixed(1)} µs`,
      );
    } finally {
      for (const suffix of ["", "-wal", "-shm"]) fs.rmSync(filename + suffix, { force: true });
    }
  }
  return results;
}

/** Creates and fills the table; returns up to `sample` ids of existing sessions in random order. */
function fill(filename: string, sessions: number, sample: number): string[] {
  new SqliteSessionStore({ filename, purgeInterval: 0 }).close();
  const db = new Database(filename);
  // Only the filling connection: a big page cache and no fsync make the fill fast without changing the table.
  db.pragma("cache_size = -262144");
  db.pragma("synchronous = OFF");
  try {
    const expires = Date.now() + 30 * 24 * 60 * 60 * 1000;
    db.transaction(() => {
      db.prepare(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
         INSERT INTO sessions (id, data, expires)
         SELECT substr(hex(randomblob(16)), 1, 32),
                json_object('visits', i, 'theme', 'light', 'user',
                            json_object('name', 'user' || i, 'signedInAt', '2026-01-01T00:00:00.000Z')),
                ?
         FROM n`,
      ).run(sessions, expires);
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

/** Runs `timed` untimed applies, then `timed` timed ones (µs each), cycling through `ids`. */
async function timeApplies(filename: string, ids: string[], timed: number): Promise<number[]> {
  const store = new SqliteSessionStore({ filename, purgeInterval: 0 });
  const expires = new Date(Date.now() + 30 * 24 * 60 * 60 * 1000);
  const times: number[] = [];
  try {
    for (let index = 0; index < timed * 2; index++) {
      const id = ids[index % ids.length];
      const changes = { set: { "mark:growth": new Date().toISOString() }, unset: [], consumed: {} };
      const started = process.hrtime.bigint();
      await store.commit({ readId: id, destroy: false, id, changes, expires, lifetime: null });
      const elapsed = Number(process.hrtime.bigint() - started) / 1000;
      if (index >= timed) times.push(elapsed);
    }
  } finally {
    await store.close();
  }
  return times;
}
