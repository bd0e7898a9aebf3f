import { GONE, nextSessionData } from "../core/commit-plan";
import { enforceSizeLimit, sessionSizeLimit } from "../core/size-limit";
import type { CommitPlan, CommitResult, Lifetime, SessionStore, StoredSession } from "../core/store";

export interface MemorySessionStoreOptions {
  /** Largest session accepted, in UTF-8 bytes of its JSON; 0: no limit. */
  maxSessionBytes?: number;
  /** Clock, for tests. */
  now?: () => number;
}

interface Entry {
  json: string;
  expires: number;
  lifetime: Lifetime | null;
}

/**
 * Sessions in this process's memory, for tests and quick experiments. Lost on restart and not
 * shared between processes. Values go through JSON, as in every other store.
 */
export class MemorySessionStore implements SessionStore {
  #sessions = new Map<string, Entry>();
  #now: () => number;
  #maxBytes: number;

  constructor(options: MemorySessionStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#maxBytes = sessionSizeLimit(options.maxSessionBytes);
  }

  /** Number of live sessions held. */
  get size(): number {
    return this.#sessions.size;
  }

  async read(id: string): Promise<StoredSession | null> {
    const entry = this.#live(id);
    return entry ? { data: JSON.parse(entry.json), expires: new Date(entry.expires), lifetime: entry.lifetime } : null;
  }

  // Synchronous from read to write, so no other commit can interleave.
  async commit(plan: CommitPlan): Promise<CommitResult> {
    const current = plan.readId === null ? undefined : this.#live(plan.readId);
    const next = nextSessionData(plan, current ? JSON.parse(current.json) : null);
    if (next === GONE) return "gone";
    const json = next === null ? null : JSON.stringify(next);
    if (json !== null) enforceSizeLimit(json, this.#maxBytes);
    if (plan.readId !== null && plan.readId !== plan.id) this.#sessions.delete(plan.readId);
    if (plan.id !== null && json !== null) {
      this.#sessions.set(plan.id, { json, expires: plan.expires.getTime(), lifetime: plan.lifetime });
    }
    return "committed";
  }

  async close(): Promise<void> {
    this.#sessions.clear();
  }

  #live(id: string): Entry | undefined {
    const entry = this.#sessions.get(id);
    if (entry && entry.expires <= this.#now()) {
      this.#sessions.delete(id);
      return undefined;
    }
    return entry;
  }
}
