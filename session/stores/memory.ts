import { applyChanges, type SessionChanges } from "../core/changes";
import { SessionTooLargeError } from "../core/errors";
import type { SessionStore, StoredSession } from "../core/store";

export interface MemorySessionStoreOptions {
  /** Largest session accepted, in bytes of JSON (the same measure as the SQLite store). */
  maxSessionBytes?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/**
 * Sessions in this process's memory, for tests and quick experiments. Lost on restart and not
 * shared between processes. Values go through JSON, as in every other store.
 */
export class MemorySessionStore implements SessionStore {
  #sessions = new Map<string, { json: string; expires: number }>();
  #now: () => number;
  #maxBytes: number;

  constructor(options: MemorySessionStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#maxBytes = options.maxSessionBytes ?? 64 * 1024;
  }

  /** Number of live sessions held. */
  get size(): number {
    return this.#sessions.size;
  }

  async read(id: string): Promise<StoredSession | null> {
    const entry = this.#live(id);
    return entry ? { data: JSON.parse(entry.json), expires: new Date(entry.expires) } : null;
  }

  // Synchronous from read to write, so no other apply can interleave.
  async apply(id: string, changes: SessionChanges, expires: Date): Promise<void> {
    const current = this.#live(id);
    const json = JSON.stringify(applyChanges(current ? JSON.parse(current.json) : {}, changes));
    // Unbounded sessions would let one client grow this process's heap without limit.
    const bytes = new TextEncoder().encode(json).length;
    if (bytes > this.#maxBytes) throw new SessionTooLargeError("The session", bytes, this.#maxBytes);
    this.#sessions.set(id, { json, expires: expires.getTime() });
  }

  async rename(fromId: string, toId: string, expires: Date): Promise<void> {
    const entry = this.#live(fromId);
    this.#sessions.delete(fromId);
    if (entry) this.#sessions.set(toId, { json: entry.json, expires: expires.getTime() });
  }

  async touch(id: string, expires: Date): Promise<void> {
    const entry = this.#live(id);
    if (entry) entry.expires = expires.getTime();
  }

  async destroy(id: string): Promise<void> {
    this.#sessions.delete(id);
  }

  async close(): Promise<void> {
    this.#sessions.clear();
  }

  #live(id: string) {
    const entry = this.#sessions.get(id);
    if (entry && entry.expires <= this.#now()) {
      this.#sessions.delete(id);
      return undefined;
    }
    return entry;
  }
}
