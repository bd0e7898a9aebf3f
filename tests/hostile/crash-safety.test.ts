import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { afterAll, expect, it } from "vitest";

import { ProductionServer, sessionsFile } from "../../harness/production-server";
import { SqliteSessionStore } from "auto-commit-session/stores/sqlite";
import { TEST_SECRET } from "../support/server";

/**
 * Crash safety of the SQLite store: a production server is killed with SIGKILL in the middle of a
 * storm of writes, twice, and started again on the same data folder. Every write the client got a
 * 200 for must still be there, and the database file must pass `PRAGMA integrity_check`.
 * (WAL with synchronous=NORMAL: a commit is in the WAL before the answer goes out, which survives
 * the process dying; a power cut may lose the last commits, which this test does not simulate.)
 */

const ROUNDS = 2;
const BROWSERS = 4;
const CONCURRENCY = 32;
// Kill once this many writes of the round were acknowledged: in flight, never on a timer.
const KILL_AFTER_ACKS = 300;

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "crash-safety-"));
const env = { SESSION_SECRET: TEST_SECRET };
let server: ProductionServer | undefined;

afterAll(async () => {
  await server?.stop("SIGKILL");
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const get = (url: string, cookie: string) => fetch(url, { headers: { Cookie: cookie } });

it(
  "keeps every acknowledged write across SIGKILL mid-storm, with an intact database",
  { timeout: 180_000 },
  async () => {
    server = await ProductionServer.start({ dataDir, env });

    // A few browsers, each with its own session.
    const cookies: string[] = [];
    for (let b = 0; b < BROWSERS; b++) {
      const response = await fetch(`${server.url}/lab/mark/seed`);
      expect(response.status).toBe(200);
      cookies.push(response.headers.getSetCookie()[0].split(";")[0]);
    }

    const acked = new Map<string, string[]>(cookies.map((cookie) => [cookie, ["seed"]]));
    let sent = 0;
    let unacked = 0;
    let next = 0;

    for (let round = 0; round < ROUNDS; round++) {
      let roundAcks = 0;
      let killing: Promise<void> | undefined;
      const running = server;
      const worker = async () => {
        while (!killing) {
          const key = `r${round}-k${next++}`;
          const cookie = cookies[next % BROWSERS];
          sent++;
          try {
            const response = await get(`${running.url}/lab/mark/${key}`, cookie);
            const body = (await response.json()) as { ok?: boolean };
            if (response.status !== 200 || !body.ok) throw new Error(`status ${response.status}`);
            acked.get(cookie)!.push(key);
            if (++roundAcks === KILL_AFTER_ACKS) killing = running.stop("SIGKILL");
          } catch {
            // The server died before answering: the client never learnt whether this write landed.
            unacked++;
            if (!killing && running.pid && !isAlive(running.pid)) killing = Promise.resolve();
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      await killing;
      expect(isAlive(running.pid)).toBe(false);
      server = await ProductionServer.start({ dataDir, env });
    }

    // After the last restart: every acknowledged key of every browser is there.
    let kept = 0;
    const lost: string[] = [];
    for (const cookie of cookies) {
      const data = (await (await get(`${server.url}/lab/session`, cookie)).json()) as Record<string, unknown>;
      for (const key of acked.get(cookie)!) {
        if (`mark:${key}` in data) kept++;
        else lost.push(key);
      }
    }
    await server.stop("SIGTERM");

    const store = new SqliteSessionStore({ filename: sessionsFile(dataDir), purgeInterval: 0 });
    const integrity = store.integrityCheck();
    await store.close();

    const ackedCount = [...acked.values()].reduce((sum, keys) => sum + keys.length, 0);
    console.log(
      `crash safety: ${ROUNDS} SIGKILLs, ${sent} writes sent, ${ackedCount} acknowledged, ${kept} kept, ${lost.length} lost, ${unacked} unanswered; integrity_check: ${integrity}`,
    );
    expect(ackedCount).toBeGreaterThanOrEqual(ROUNDS * KILL_AFTER_ACKS);
    expect(lost).toEqual([]);
    expect(kept).toBe(ackedCount);
    expect(integrity).toBe("ok");
  },
);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
