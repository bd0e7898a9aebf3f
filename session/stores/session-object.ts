import { DurableObject } from "cloudflare:workers";

import { GONE, nextSessionData } from "../core/commit-plan";
import { SessionTooLargeError } from "../core/errors";
import { enforceSizeLimit } from "../core/size-limit";
import { lifetimeToText, type CommitPlan } from "../core/store";

import {
  SESSION_OBJECT_BINDING,
  sessionObject,
  storedText,
  type ObjectCommitAnswer,
  type SessionObjectEnv,
  type StoredShape,
} from "./durable-object";

/** The storage key of the session's text; the object stores nothing else. */
const SESSION_KEY = "session";

/**
 * One session, as a Durable Object named by its id (SQLite-backed storage; the Worker binds its
 * namespace as `SESSION_DO`). `DurableObjectSessionStore` is its only client.
 *
 * Every commit reads, merges and writes with synchronous storage calls and no `await` in between, so
 * it is one transaction that no other request can interleave with. The only await inside a commit is
 * the hand-over of a sign-in (or of a sign-out that keeps a flash) to the new id's object: while it
 * runs, other commits of this id wait for its outcome, so none can land on the old id after the
 * session has moved. An alarm at the session's expiry deletes the object's storage.
 */
export class SessionObject extends DurableObject<SessionObjectEnv> {
  /** Settles when the hand-over in flight has ended, either way; null when none is. */
  #handOver: Promise<void> | null = null;

  /** The session as stored, or null when there is none or it expired. */
  async read(): Promise<string | null> {
    return this.#live()?.text ?? null;
  }

  /** Runs one request's commit plan, on the object of `plan.readId` (or of `plan.id` when it is new). */
  async commit(plan: CommitPlan, maxBytes: number): Promise<ObjectCommitAnswer> {
    await this.#settled();
    const current = plan.readId === null ? null : this.#live();
    const next = nextSessionData(plan, current?.stored.data ?? null);
    if (next === GONE) return "gone";
    if (next === null) {
      await this.#end();
      return "committed";
    }

    const json = JSON.stringify(next);
    try {
      enforceSizeLimit(json, maxBytes);
    } catch (error) {
      if (error instanceof SessionTooLargeError) return { tooLarge: error.size };
      throw error;
    }
    const expires = plan.expires.getTime();
    const text = storedText(json, expires, lifetimeToText(plan.lifetime));
    if (plan.id === (plan.readId ?? plan.id)) {
      await this.#write(text, expires);
    } else {
      await this.#handOverTo(plan.id!, text, expires);
    }
    return "committed";
  }

  /**
   * Takes a session another object handed over at sign-in (or a fresh one at sign-out). New ids are
   * 192 random bits, so one that already holds a session is refused rather than overwritten.
   */
  async adopt(text: string, expires: number): Promise<void> {
    await this.#settled();
    if (this.#live()) throw new Error("Refusing to hand a session to an id that already holds one");
    await this.#write(text, expires);
  }

  /** Deletes an expired session; an alarm left from an expiry that was extended since is moved. */
  async alarm(): Promise<void> {
    await this.#settled();
    const live = this.#live();
    if (live) await this.ctx.storage.setAlarm(live.stored.expires);
    else await this.#end();
  }

  /**
   * Gives the session to `id`'s object, then deletes it here. Commits that arrive meanwhile wait in
   * `#settled`: once the move is done this object holds nothing, so they answer "gone"; if the move
   * failed, the session is still here, untouched, and they land on it.
   */
  async #handOverTo(id: string, text: string, expires: number): Promise<void> {
    const move = (async () => {
      await sessionObject(this.env[SESSION_OBJECT_BINDING], id).adopt(text, expires);
      await this.#end();
    })();
    this.#handOver = move.then(
      () => {},
      () => {},
    );
    try {
      await move;
    } finally {
      this.#handOver = null;
    }
  }

  /** Waits until no hand-over is in flight (a new one may start while an earlier waiter resumes). */
  async #settled(): Promise<void> {
    while (this.#handOver) await this.#handOver;
  }

  #live(): { text: string; stored: StoredShape } | null {
    const text = this.ctx.storage.kv.get<string>(SESSION_KEY);
    if (text === undefined) return null;
    const stored = JSON.parse(text) as StoredShape;
    return stored.expires > Date.now() ? { text, stored } : null;
  }

  async #write(text: string, expires: number): Promise<void> {
    this.ctx.storage.transactionSync(() => this.ctx.storage.kv.put(SESSION_KEY, text));
    await this.ctx.storage.setAlarm(expires);
  }

  async #end(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }
}
