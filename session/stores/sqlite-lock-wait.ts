import { setTimeout as sleep } from "node:timers/promises";

import { SessionStoreUnavailableError } from "../core/errors";

/**
 * SQLite's own wait for a lock (`busy_timeout`), in milliseconds. better-sqlite3 is synchronous, so
 * this wait blocks the event loop: it only absorbs another process's ordinary commit (well under a
 * millisecond). Longer waits happen between tries, asynchronously.
 */
export const SQLITE_BUSY_TIMEOUT_MS = 5;

/** Pauses between tries grow from the first to the last, doubling. */
const FIRST_PAUSE_MS = 2;
const LAST_PAUSE_MS = 50;

/** True for SQLite's "another connection holds the lock" errors, which a later try may not meet. */
export function isBusy(error: unknown): boolean {
  return /^SQLITE_BUSY/.test((error as { code?: string } | null)?.code ?? "");
}

interface Waiter<T> {
  operation: () => T;
  deadline: number;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

/**
 * Runs synchronous SQLite operations that may meet another process's lock, without ever holding the
 * event loop for longer than one short try: an operation that meets the lock is tried again after a
 * growing pause, until its deadline, then fails with SessionStoreUnavailableError (a 503).
 *
 * Writes queue in arrival order behind the first one that met the lock, so one write at a time polls
 * for it however many are waiting, and they commit in the order they came.
 */
export class SqliteLockWait {
  #timeoutMs: number;
  #queue: Waiter<unknown>[] = [];

  /** `timeoutMs`: how long an operation may wait for the lock in all. */
  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  /** Runs a write now, or after the writes already waiting; retries it while the lock is taken. */
  write<T>(operation: () => T): Promise<T> {
    if (this.#queue.length === 0) {
      try {
        return Promise.resolve(operation());
      } catch (error) {
        if (!isBusy(error)) return Promise.reject(error);
      }
    }
    return new Promise<T>((resolve, reject) => {
      const waiter = { operation, deadline: performance.now() + this.#timeoutMs, resolve, reject } as Waiter<unknown>;
      if (this.#queue.push(waiter) === 1) void this.#drain();
    });
  }

  /** Runs a read now; retries it while the lock is taken (reads meet it only in rare WAL states). */
  read<T>(operation: () => T): Promise<T> {
    try {
      return Promise.resolve(operation());
    } catch (error) {
      if (!isBusy(error)) return Promise.reject(error);
    }
    return this.#retryRead(operation, performance.now() + this.#timeoutMs);
  }

  async #retryRead<T>(operation: () => T, deadline: number): Promise<T> {
    for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(pause * 2, LAST_PAUSE_MS)) {
      await sleep(pause);
      try {
        return operation();
      } catch (error) {
        if (!isBusy(error)) throw error;
        if (performance.now() >= deadline) throw unavailable(error);
      }
    }
  }

  // The first waiter polls; those behind it try only once it is through (or out of time).
  async #drain(): Promise<void> {
    let pause = FIRST_PAUSE_MS;
    while (this.#queue.length > 0) {
      const waiter = this.#queue[0];
      try {
        waiter.resolve(waiter.operation());
      } catch (error) {
        if (isBusy(error) && performance.now() < waiter.deadline) {
          await sleep(pause);
          pause = Math.min(pause * 2, LAST_PAUSE_MS);
          continue;
        }
        waiter.reject(isBusy(error) ? unavailable(error) : error);
      }
      this.#queue.shift();
      pause = FIRST_PAUSE_MS;
    }
  }
}

function unavailable(error: unknown): SessionStoreUnavailableError {
  const code = (error as { code?: string }).code;
  return new SessionStoreUnavailableError(`SQLite session store failed: ${code}`, { cause: error });
}
