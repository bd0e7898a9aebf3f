/**
 * Reads while another process holds SQLite's write lock (phase `lock-wait`): the stack's Express app
 * in this process, so the event-loop delay is its own; a second process holds the write lock, a third
 * reads the session over HTTP on a clock of its own, and one write waits for the lock meanwhile.
 */
import type { AddressInfo } from "node:net";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";

import { installGlobals, type ServerBuild } from "@remix-run/node";

import { Browser } from "../harness/browser";
import { SessionReader, slowest, type TimedRead } from "../harness/session-reader";
import { WriteLockHolder } from "../harness/sqlite-lock-holder";

import { createBenchApp } from "./apps";
import { spread, type Spread } from "./stats";

export interface LockWaitSettings {
  /** How long the other process holds the write lock, ms. */
  holdMs: number;
  /** Reads made while it holds it (and as many before, without it), `gapMs` apart. */
  reads: number;
  gapMs: number;
  dataDir: string;
  build: ServerBuild;
  log: (line: string) => void;
}

/** What the phase measured. */
export interface LockWaitResult {
  holdMs: number;
  /** ms per read while the lock was held, and with no lock held (the same reader, just before). */
  duringMs: Spread;
  withoutMs: Spread;
  /** The slowest read during the lock minus the slowest without it, ms: the target's figure. */
  extraMs: number;
  /** Reads that came back 200 with the session's keys, of all made during the lock. */
  readsAnswered: number;
  readsMade: number;
  /** The app's event-loop delay while the lock was held, ms. */
  eventLoop: { p99: number; max: number };
  /** The write that waited: its status, and whether it was answered only after the lock was released. */
  write: { status: number; afterRelease: boolean };
}

/** Runs the stack with the SQLite store, and measures its reads while its write waits for the lock. */
export async function measureLockWait(settings: LockWaitSettings): Promise<LockWaitResult> {
  installGlobals({ nativeFetch: true });
  const { app, close } = await createBenchApp(
    { kind: "stack", store: "sqlite" },
    { dataDir: settings.dataDir },
    settings.build,
  );
  const server = app.listen(0, "127.0.0.1");
  await new Promise<void>((resolve, reject) => server.once("listening", resolve).once("error", reject));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let reader: SessionReader | undefined;
  try {
    const browser = new Browser(url);
    const first = await browser.fetch("/lab/mark/before");
    if (first.status !== 200) throw new Error(`the first write answered ${first.status}`);
    reader = await SessionReader.start(url, browser.cookieHeader, settings.reads, settings.gapMs);
    const without = await reader.read();

    const holder = await WriteLockHolder.start(path.join(settings.dataDir, "sessions.sqlite"), settings.holdMs);
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const write = browser.fetch("/lab/mark/during").then((response) => ({ status: response.status, at: Date.now() }));
    const during = await reader.read();
    const written = await write;
    delay.disable();
    const releasedAt = await holder.releasedAt();

    const durations = (reads: TimedRead[]) => reads.map((read) => read.doneAt - read.sentAt);
    const result: LockWaitResult = {
      holdMs: settings.holdMs,
      duringMs: spread(durations(during)),
      withoutMs: spread(durations(without)),
      extraMs: slowest(during) - slowest(without),
      readsAnswered: during.filter((read) => read.status === 200 && read.keys.includes("mark:before")).length,
      readsMade: during.length,
      eventLoop: { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 },
      write: { status: written.status, afterRelease: written.at >= releasedAt },
    };
    settings.log(
      `lock wait: reads during a ${settings.holdMs} ms lock ${durations(during).join(", ")} ms ` +
        `(slowest without it ${slowest(without)} ms); event-loop delay p99 ${result.eventLoop.p99.toFixed(1)} ms, ` +
        `max ${result.eventLoop.max.toFixed(1)} ms; the waiting write answered ${written.status}`,
    );
    return result;
  } finally {
    reader?.stop();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await close();
  }
}
