// The one export of the Workers runtime module that session-object.ts uses, typed by hand: the
// ambient @cloudflare/workers-types redeclares Request, Response and fetch, which clash with the DOM
// types the rest of the project compiles against.
declare module "cloudflare:workers" {
  /** A Durable Object's storage, reduced to what the session object uses (SQLite-backed). */
  export interface DurableObjectStorageLike {
    /** Synchronous key-value storage; values are structured-cloned. */
    kv: {
      get<T = unknown>(key: string): T | undefined;
      put<T>(key: string, value: T): void;
    };
    /** Runs `closure` as one SQLite transaction: all of its writes land, or none. */
    transactionSync<T>(closure: () => T): T;
    /** Deletes everything the object stores. */
    deleteAll(): Promise<void>;
    /** Schedules `alarm()` at `scheduledTime` (Unix ms or a Date), replacing any earlier alarm. */
    setAlarm(scheduledTime: number | Date): Promise<void>;
    /** Cancels the scheduled alarm. */
    deleteAlarm(): Promise<void>;
  }

  /** What the runtime hands a Durable Object: its storage, among other things. */
  export interface DurableObjectStateLike {
    /** The object's own transactional storage. */
    storage: DurableObjectStorageLike;
  }

  /** The base class of a Durable Object whose public methods are callable over Workers RPC. */
  export abstract class DurableObject<Env = unknown> {
    /** The object's state and storage. */
    protected ctx: DurableObjectStateLike;
    /** The bindings of the Worker that defines the object. */
    protected env: Env;
    constructor(ctx: DurableObjectStateLike, env: Env);
  }
}
