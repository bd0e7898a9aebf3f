/**
 * Soak test: a production server (SQLite store) in a child process takes a long mix of reads and
 * writes from many sessions at once. At the end every acknowledged write must still be there, no
 * request may have failed, and the server's memory (VmRSS) is reported at start and end.
 *
 *   npm run soak                  100,000 requests over 500 sessions (bounded to 10 minutes)
 *   npm run soak -- --short       3,000 requests over 100 sessions (CI)
 *   options: --requests=N --sessions=N --concurrency=N --max-seconds=N
 *
 * Exits 1 when a request failed or an acknowledged write was lost.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";

import { ProductionServer, sessionsFile } from "../harness/production-server";
import { SqliteSessionStore } from "../session/stores/sqlite";

const { values: args } = parseArgs({
  options: {
    short: { type: "boolean", default: false },
    requests: { type: "string" },
    sessions: { type: "string" },
    concurrency: { type: "string" },
    "max-seconds": { type: "string" },
  },
});
const settings = {
  requests: Number(args.requests ?? (args.short ? 3_000 : 100_000)),
  sessions: Number(args.sessions ?? (args.short ? 100 : 500)),
  concurrency: Number(args.concurrency ?? 32),
  maxSeconds: Number(args["max-seconds"] ?? (args.short ? 120 : 600)),
};

/** What one request does; the weights say how often. */
const MIX = [
  { kind: "read", weight: 60 }, // GET /lab/session
  { kind: "write", weight: 30 }, // GET /lab/mark/<unique key>
  { kind: "page", weight: 5 }, // GET / (the root loader counts visits: a write)
  { kind: "ping", weight: 5 }, // GET /lab/ping (no session)
] as const;
type Kind = (typeof MIX)[number]["kind"];

function pickKind(): Kind {
  let roll = Math.random() * 100;
  for (const { kind, weight } of MIX) {
    if ((roll -= weight) < 0) return kind;
  }
  return "read";
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : 0;
}

const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;

async function main() {
  const dataDir = fs.mkdtempSync(`${os.tmpdir()}/soak-`);
  const server = await ProductionServer.start({
    dataDir,
    env: { SESSION_SECRET: crypto.randomBytes(32).toString("hex"), LAB_ROUTES: "on" },
  });
  const errors = new Map<string, number>();
  const fail = (what: string) => errors.set(what, (errors.get(what) ?? 0) + 1);

  try {
    console.log(
      `soak: ${settings.requests} requests over ${settings.sessions} sessions, ${settings.concurrency} at a time, at most ${settings.maxSeconds} s; server pid ${server.pid}`,
    );

    // Every session starts with one write, so it exists and has a cookie.
    const cookies: string[] = [];
    const acked: string[][] = [];
    for (let s = 0; s < settings.sessions; s++) {
      const response = await fetch(`${server.url}/lab/mark/s${s}-start`);
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`Could not create session ${s}: ${response.status}`);
      cookies.push(response.headers.getSetCookie()[0].split(";")[0]);
      acked.push([`s${s}-start`]);
    }
    const rssStart = server.rssKb();
    let rssPeak = rssStart;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, server.rssKb())), 1000);
    // RSS after each tenth of the requests: a leak keeps climbing, a warming heap levels off.
    const rssByTenth: number[] = [];

    const startedAt = Date.now();
    const deadline = startedAt + settings.maxSeconds * 1000;
    const latencies: number[] = [];
    const counts: Record<Kind, number> = { read: 0, write: 0, page: 0, ping: 0 };
    let issued = 0;
    let next = 0;

    const worker = async () => {
      while (issued < settings.requests && Date.now() < deadline) {
        issued++;
        if (issued % Math.ceil(settings.requests / 10) === 0) rssByTenth.push(server.rssKb());
        const s = Math.floor(Math.random() * settings.sessions);
        const kind = pickKind();
        counts[kind]++;
        const key = `s${s}-k${next++}`;
        const path = { read: "/lab/session", write: `/lab/mark/${key}`, page: "/", ping: "/lab/ping" }[kind];
        const began = performance.now();
        try {
          const response = await fetch(`${server.url}${path}`, { headers: { Cookie: cookies[s] } });
          await response.arrayBuffer();
          latencies.push(performance.now() - began);
          if (response.status !== 200) fail(`${kind}: HTTP ${response.status}`);
          else if (kind === "write") acked[s].push(key);
        } catch (error) {
          fail(`${kind}: ${(error as Error).cause ?? (error as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: settings.concurrency }, worker));
    const elapsed = (Date.now() - startedAt) / 1000;
    clearInterval(sampler);
    const rssEnd = server.rssKb();

    // Every acknowledged write must be there.
    let kept = 0;
    const lost: string[] = [];
    for (let s = 0; s < settings.sessions; s++) {
      const response = await fetch(`${server.url}/lab/session`, { headers: { Cookie: cookies[s] } });
      const data = (await response.json()) as Record<string, unknown>;
      for (const key of acked[s]) {
        if (`mark:${key}` in data) kept++;
        else lost.push(key);
      }
    }
    await server.stop("SIGTERM");
    const store = new SqliteSessionStore({ filename: sessionsFile(dataDir), purgeInterval: 0 });
    const integrity = store.integrityCheck();
    const rows = store.count();
    await store.close();

    latencies.sort((a, b) => a - b);
    const failed = [...errors.values()].reduce((sum, n) => sum + n, 0);
    console.log(`requests: ${issued} in ${elapsed.toFixed(1)} s (${Math.round(issued / elapsed)}/s)`);
    console.log(`  reads ${counts.read}, writes ${counts.write}, pages ${counts.page}, pings ${counts.ping}`);
    console.log(
      `  latency p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${percentile(latencies, 100).toFixed(1)} ms`,
    );
    console.log(`errors: ${failed}${failed ? ` ${JSON.stringify(Object.fromEntries(errors))}` : ""}`);
    console.log(`acknowledged writes: ${kept + lost.length}, kept ${kept}, lost ${lost.length}`);
    console.log(`server RSS: start ${mb(rssStart)}, end ${mb(rssEnd)}, peak ${mb(rssPeak)}`);
    console.log(`  after each tenth of the requests: ${rssByTenth.map(mb).join(", ")}`);
    console.log(`sessions stored: ${rows}; integrity_check: ${integrity}`);
    if (issued < settings.requests)
      console.log(`note: stopped at the ${settings.maxSeconds} s bound, before ${settings.requests} requests`);
    if (lost.length) console.log(`lost keys (first 20): ${lost.slice(0, 20).join(", ")}`);

    const ok = failed === 0 && lost.length === 0 && integrity === "ok";
    console.log(ok ? "soak: ok" : "soak: FAILED");
    process.exitCode = ok ? 0 : 1;
  } finally {
    await server.stop("SIGKILL");
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
