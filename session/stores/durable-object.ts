import type { SessionRecord } from "../core/changes";
import { SessionStoreUnavailableError, SessionTooLargeError } from "../core/errors";
import { sessionSizeLimit } from "../core/size-limit";
import {
  lifetimeFromText,
  type CommitPlan,
  type CommitResult,
  type SessionStore,
  type StoredSession,
} from "../core/store";

/** The binding name of the session objects' namespace, in the Worker that defines `SessionObject`. */
export const SESSION_OBJECT_BINDING = "SESSION_DO";

/**
 * What a session object answers a commit with: the store's result, or the size in bytes of a session
 * it refused as too large (an error class would not survive the RPC hop).
 */
export type ObjectCommitAnswer = CommitResult | { tooLarge: number };

/** The RPC methods of one session object (`SessionObject`, session/stores/session-object.ts). */
export interface SessionObjectStub {
  /** The session as stored (`StoredText`), or null when the object holds none or it expired. */
  read(): Promise<string | null>;
  /** Runs `plan` on the object of `plan.readId` (or of `plan.id` for a new session). */
  commit(plan: CommitPlan, maxBytes: number): Promise<ObjectCommitAnswer>;
  /** Takes a session handed over by the object of another id; `text` as `storedText` makes it. */
  adopt(text: string, expires: number): Promise<void>;
}

/** The part of a `DurableObjectNamespace` binding this store uses. */
export interface SessionObjectNamespace {
  idFromName(name: string): unknown;
  get(id: never): SessionObjectStub;
}

/** The bindings a `SessionObject` needs: its own namespace, to hand a session to another id. */
export interface SessionObjectEnv {
  [SESSION_OBJECT_BINDING]: SessionObjectNamespace;
}

/** A stored session, as it crosses RPC and sits in the object's storage: JSON text, parsed once on read. */
export interface StoredShape {
  data: SessionRecord;
  /** Unix milliseconds. */
  expires: number;
  /** `lifetimeToText` of the session's lifetime. */
  lifetime: string;
}

/** The stored text for data already serialised as `json`, without serialising it again. */
export function storedText(json: string, expires: number, lifetime: string): string {
  return `{"expires":${expires},"lifetime":${JSON.stringify(lifetime)},"data":${json}}`;
}

/** The stub of the object that owns session `id`: one object per id, found by name. */
export function sessionObject(namespace: SessionObjectNamespace, id: string): SessionObjectStub {
  return namespace.get(namespace.idFromName(id) as never);
}

export interface DurableObjectSessionStoreOptions {
  /** The namespace binding of `SessionObject` (`env.SESSION_DO`). */
  namespace: SessionObjectNamespace;
  /** Largest session accepted, in UTF-8 bytes of its JSON; 0: no limit. */
  maxSessionBytes?: number;
}

/**
 * Sessions in Durable Objects, one object per session id (`idFromName`), each with its own
 * SQLite-backed storage. The object runs one commit at a time, inside one storage transaction, so
 * concurrent commits of a session all land, in some order; a sign-in moves the data to the new id's
 * object with no moment at which a commit can still land on the old one (docs/decisions/0062).
 *
 * This class runs wherever the Worker runs and only routes: a read is one RPC call to the session's
 * object, a commit one call to the object of the id the request read (or of the new id). The object
 * itself is `SessionObject` (session/stores/session-object.ts), which the Worker must export and bind
 * as `SESSION_DO`.
 */
export class DurableObjectSessionStore implements SessionStore {
  #namespace: SessionObjectNamespace;
  #maxBytes: number;

  constructor(options: DurableObjectSessionStoreOptions) {
    this.#namespace = options.namespace;
    this.#maxBytes = sessionSizeLimit(options.maxSessionBytes);
  }

  async read(id: string): Promise<StoredSession | null> {
    const text = await this.#call("read", false, () => sessionObject(this.#namespace, id).read());
    if (text === null) return null;
    const stored = JSON.parse(text) as StoredShape;
    return { data: stored.data, expires: new Date(stored.expires), lifetime: lifetimeFromText(stored.lifetime) };
  }

  async commit(plan: CommitPlan): Promise<CommitResult> {
    const owner = plan.readId ?? plan.id;
    if (owner === null) return "committed";
    const answer = await this.#call("commit", true, () =>
      sessionObject(this.#namespace, owner).commit(plan, this.#maxBytes),
    );
    if (typeof answer === "object") throw new SessionTooLargeError("The session", answer.tooLarge, this.#maxBytes);
    return answer;
  }

  async close(): Promise<void> {}

  // A failed call (object overloaded or reset, network) means "try again later" to the client: a 503.
  async #call<T>(operation: string, writes: boolean, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw new SessionStoreUnavailableError(`Durable Object session store: ${operation} failed: ${String(error)}`, {
        cause: error,
        outcomeUnknown: writes,
      });
    }
  }
}
