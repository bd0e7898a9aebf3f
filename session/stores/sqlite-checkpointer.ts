import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/** How often the checkpointer copies new WAL pages into the database file, in milliseconds. */
const CHECKPOINT_EVERY_MS = 100;

// The worker is plain CommonJS handed over as text, so it runs the same from TypeScript sources under
// tsx or Vitest and from the package's build, with no file of its own to locate.
const CHECKPOINTER = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.filename);
db.pragma("busy_timeout = 0");
db.pragma("cache_size = -2048");
db.pragma("synchronous = " + workerData.synchronous);
const timer = setInterval(() => {
  try {
    // PASSIVE never waits for a lock and never blocks a writer; what it cannot copy now, a later one will.
    db.pragma("wal_checkpoint(PASSIVE)");
  } catch {}
}, workerData.everyMs);
parentPort.once("message", () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * Copies committed pages from the WAL into the database file (a WAL checkpoint) on a worker thread
 * with its own connection, instead of inside every thousandth commit on the event loop. At a million
 * sessions a checkpoint copies a page per commit or more and syncs the file; here the request path
 * only appends to the WAL. `onStop` runs if the worker ends before `stop()`, so the caller can go
 * back to SQLite's own checkpoints.
 */
export class SqliteCheckpointer {
  #worker: Worker;
  #stopping = false;
  #exited: Promise<void>;

  /** Starts checkpointing `filename` (a WAL-mode file) with the given `synchronous` level. */
  constructor(filename: string, synchronous: "NORMAL" | "FULL", onStop: () => void) {
    const driver = createRequire(import.meta.url).resolve("better-sqlite3");
    this.#worker = new Worker(CHECKPOINTER, {
      eval: true,
      workerData: { driver, filename, synchronous, everyMs: CHECKPOINT_EVERY_MS },
    });
    // A checkpointer must never keep the process alive, nor take it down.
    this.#worker.unref();
    this.#worker.on("error", () => {});
    this.#exited = new Promise((resolve) =>
      this.#worker.once("exit", () => {
        if (!this.#stopping) onStop();
        resolve();
      }),
    );
  }

  /** Stops the worker after its current checkpoint and waits until its connection is closed. */
  async stop(): Promise<void> {
    this.#stopping = true;
    // Until it is gone, the worker keeps the process alive: a caller awaiting close() goes on afterwards.
    this.#worker.ref();
    this.#worker.postMessage("stop");
    await this.#exited;
  }
}
