import autocannon from "autocannon";

import { Browser } from "../harness/browser";

import { COOKIE_NAME } from "./constants";
import type { BenchOptions } from "./options";
import { spread, type Spread } from "./stats";

/** What a row's requests do to the session. */
export type RowAction = "read" | "write";

/** One line of the throughput table. */
export interface ThroughputRow {
  /** Stable id, used in results.json and by the targets. */
  id: string;
  /** What the row measures, as the table prints it. */
  label: string;
  /** Which server (a key of the bench's server list) it drives. */
  server: string;
  /** GET /lab/ping (reads nothing, writes nothing) or GET /lab/mark/<k> (writes one key). */
  action: RowAction;
  /** Whether requests carry a session cookie made beforehand. */
  withSession: boolean;
  /** The id of the row its costs are taken against (measured in the same rounds). */
  baseline: string;
}

/** A row with where its server listens, or why it cannot run. */
export interface RowTarget {
  row: ThroughputRow;
  /** The server's base URL; null when the row cannot run. */
  url: string | null;
  /** Why the row cannot run ("pending: ..."). */
  unavailable?: string;
  /** CPU µs the server has used so far, read before and after each measurement; null when unknown. */
  cpuMicros?: () => number | null;
}

/** How each row is measured: the run's sizes, and where progress lines go. */
export type ThroughputSettings = Pick<
  BenchOptions,
  "connections" | "durationSeconds" | "amount" | "rounds" | "warmupSeconds" | "sessionKeys"
> & {
  /** Told about each measurement. */
  log: (line: string) => void;
};

/** One measurement. */
export interface Sample {
  /** Responses per second over the measurement. */
  rps: number;
  /** Median latency, ms. */
  p50: number;
  /** 99th percentile latency, ms. */
  p99: number;
  /** Responses counted. */
  requests: number;
  /** Server CPU time during the measurement divided by the responses counted, µs; null when unknown. */
  cpuMicros: number | null;
}

/** A row's measurements and their summary. */
export interface RowResult {
  row: ThroughputRow;
  status: "measured" | "unavailable";
  /** Why the row did not run. */
  note?: string;
  samples: Sample[];
  rps?: Spread;
  p50?: Spread;
  p99?: Spread;
  /** Server CPU µs per request. */
  cpu?: Spread;
  /** req/s divided by the baseline row's req/s in the same round: median and min–max over the rounds. */
  ratio?: Spread;
  /** CPU µs per request divided by the baseline row's in the same round, minus 1: what the row adds. */
  cpuCost?: Spread;
}

/** The route a row requests, `n` counting its requests. */
function pathFor(row: ThroughputRow, n: number, sessionKeys: number): string {
  return row.action === "read" ? "/lab/ping" : `/lab/mark/${seedKey(n % sessionKeys)}`;
}

const seedKey = (index: number) => `b${index}`;

/**
 * Measures every runnable row `rounds` times, taking turns: odd rounds go 1, 2, …, n and even rounds
 * n, …, 2, 1, so a machine that slowly gets busier or quieter hits every row alike on average. Each
 * measurement also reads the server's CPU time before and after. Throws if any request fails.
 */
export async function measureThroughput(targets: RowTarget[], settings: ThroughputSettings): Promise<RowResult[]> {
  const prepared = [];
  for (const target of targets) {
    if (!target.url) continue;
    prepared.push({ target, url: target.url, cookie: await prepareRow(target.row, target.url, settings.sessionKeys) });
  }

  if (settings.warmupSeconds > 0) {
    for (const { target, url, cookie } of prepared) {
      // A warm-up may end before the first answers of a cold server (workerd under load): none is no failure.
      await runOnce(
        target.row,
        url,
        cookie,
        { ...settings, durationSeconds: settings.warmupSeconds, amount: undefined },
        { allowNone: true },
      );
    }
  }

  const samples = new Map<string, Sample[]>(prepared.map(({ target }) => [target.row.id, []]));
  for (let round = 1; round <= settings.rounds; round++) {
    const order = round % 2 === 1 ? prepared : [...prepared].reverse();
    for (const { target, url, cookie } of order) {
      const cpuBefore = target.cpuMicros?.() ?? null;
      const sample = await runOnce(target.row, url, cookie, settings);
      const cpuAfter = target.cpuMicros?.() ?? null;
      if (cpuBefore !== null && cpuAfter !== null) sample.cpuMicros = (cpuAfter - cpuBefore) / sample.requests;
      samples.get(target.row.id)!.push(sample);
      const cpu = sample.cpuMicros === null ? "" : `  ${sample.cpuMicros.toFixed(0).padStart(5)} µs CPU/req`;
      settings.log(
        `round ${round}/${settings.rounds}  ${target.row.id.padEnd(30)} ${sample.rps.toFixed(0).padStart(6)} req/s${cpu}  p50 ${sample.p50} ms  p99 ${sample.p99} ms`,
      );
    }
  }

  const results: RowResult[] = targets.map(({ row, url, unavailable }) => {
    const rowSamples = samples.get(row.id) ?? [];
    if (!url || rowSamples.length === 0) return { row, status: "unavailable", note: unavailable, samples: [] };
    const cpu = rowSamples.flatMap((sample) => (sample.cpuMicros === null ? [] : [sample.cpuMicros]));
    return {
      row,
      status: "measured",
      samples: rowSamples,
      rps: spread(rowSamples.map((sample) => sample.rps)),
      p50: spread(rowSamples.map((sample) => sample.p50)),
      p99: spread(rowSamples.map((sample) => sample.p99)),
      ...(cpu.length === rowSamples.length ? { cpu: spread(cpu) } : {}),
    };
  });
  compareWithBaselines(results);
  return results;
}

/** Sets each row's `ratio` and `cpuCost` against its baseline row, round by round. */
export function compareWithBaselines(results: RowResult[]): void {
  const byId = new Map(results.map((result) => [result.row.id, result]));
  for (const result of results) {
    const baseline = byId.get(result.row.baseline);
    const ratio = pairedRatios(result, baseline);
    if (ratio) result.ratio = ratio;
    const cost = pairedCpuCost(result, baseline);
    if (cost) result.cpuCost = cost;
  }
}

/**
 * `a`'s req/s divided by `b`'s, round by round (both were measured within the same round, close in
 * time), summarised as median and min–max; null unless both rows have the same number of samples.
 */
export function pairedRatios(a: RowResult | undefined, b: RowResult | undefined): Spread | null {
  if (!a || !b || a.samples.length === 0 || a.samples.length !== b.samples.length) return null;
  return spread(a.samples.map((sample, round) => sample.rps / b.samples[round].rps));
}

/**
 * What `a` costs beyond `b` in server CPU per request, as a fraction of `b`'s, round by round
 * (0.05: 5% more); null unless both rows have CPU figures for the same rounds.
 */
export function pairedCpuCost(a: RowResult | undefined, b: RowResult | undefined): Spread | null {
  if (!a || !b || a.samples.length === 0 || a.samples.length !== b.samples.length) return null;
  const costs = a.samples.map((sample, round) => {
    const base = b.samples[round].cpuMicros;
    return sample.cpuMicros === null || !base ? null : sample.cpuMicros / base - 1;
  });
  return costs.every((cost) => cost !== null) ? spread(costs as number[]) : null;
}

/**
 * Makes the row's session (its keys written one by one, as a browser would) and checks the row's
 * route does what the row claims: a read answers 200, a write lands in the session.
 */
async function prepareRow(row: ThroughputRow, url: string, sessionKeys: number): Promise<string | undefined> {
  const browser = new Browser(url);
  if (row.withSession) {
    for (let index = 0; index < sessionKeys; index++) {
      await expectStatus(browser.fetch(`/lab/mark/${seedKey(index)}`), 200, `${row.id}: seeding the session`);
    }
  }
  const cookie = row.withSession ? browser.cookieHeader : undefined;
  if (row.withSession && !cookie) throw new Error(`${row.id}: the server set no session cookie`);

  if (row.action === "read") {
    await expectStatus(
      fetch(new URL("/lab/ping", url), { headers: cookie ? { cookie } : {} }),
      200,
      `${row.id}: /lab/ping`,
    );
    return cookie;
  }

  // A write must change what the session holds: read, write with the row's own cookie, read again.
  const before = (await browser.sessionData())[`mark:${seedKey(0)}`];
  await new Promise((resolve) => setTimeout(resolve, 5));
  const response = await fetch(new URL(pathFor(row, 0, sessionKeys), url), { headers: cookie ? { cookie } : {} });
  await expectStatus(Promise.resolve(response), 200, `${row.id}: the write route`);
  // The cookie store answers with the new data in its cookie; server-side stores keep the same id.
  const renewed = response.headers.getSetCookie().find((header) => header.startsWith(`${COOKIE_NAME}=`));
  const afterCookie = renewed?.split(";")[0] ?? cookie;
  const session = await fetch(new URL("/lab/session", url), { headers: afterCookie ? { cookie: afterCookie } : {} });
  const after = ((await session.json()) as Record<string, unknown>)[`mark:${seedKey(0)}`];
  if (after === undefined || after === before)
    throw new Error(`${row.id}: a write to /lab/mark did not reach the session`);
  return cookie;
}

async function runOnce(
  row: ThroughputRow,
  url: string,
  cookie: string | undefined,
  settings: ThroughputSettings,
  { allowNone = false } = {},
): Promise<Sample> {
  let count = 0;
  const result = await autocannon({
    url,
    connections: settings.connections,
    ...(settings.amount ? { amount: settings.amount } : { duration: settings.durationSeconds }),
    headers: cookie ? { cookie } : {},
    requests: [
      {
        method: "GET",
        path: pathFor(row, 0, settings.sessionKeys),
        setupRequest: (request) => ({ ...request, path: pathFor(row, count++, settings.sessionKeys) }),
      },
    ],
  });
  const failures = result.errors + result.timeouts + result.non2xx + result.mismatches;
  if (failures > 0 || (result["2xx"] === 0 && !allowNone)) {
    throw new Error(
      `${row.id}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx answers ` +
        `(${JSON.stringify(result.statusCodeStats ?? {})}) out of ${result.requests.total}`,
    );
  }
  return {
    rps: result["2xx"] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result["2xx"],
    cpuMicros: null,
  };
}

async function expectStatus(pending: Promise<Response>, status: number, what: string): Promise<void> {
  const response = await pending;
  const body = await response.text();
  if (response.status !== status) throw new Error(`${what}: HTTP ${response.status} ${body.slice(0, 200)}`);
}
