import type { SessionData } from "@remix-run/server-runtime";

import { emptyChanges, hasChanges } from "./changes";
import type { SessionCookie } from "./cookie";
import { SessionInterruptedError, SessionTooLargeError } from "./errors";
import { adopt, droppedKeys } from "./hand-commit";
import { createSessionId, isSessionId } from "./id";
import { DEFAULT_BROWSER_LIFETIME, lifetimeFromOptions, lifetimeMs, rollingDue } from "./lifetime";
import type { AutoSessionStorage } from "./storage";
import type { CommitPlan, CommitResult, Lifetime, SessionStore } from "./store";
import { trackingOf, TrackedSession } from "./tracked-session";

export interface StoreSessionStorageOptions {
  /** The signed cookie that carries the session id. */
  cookie: SessionCookie;
  /** Where the data lives. */
  store: SessionStore;
  /**
   * Rolling expiry: an unchanged, active session has its expiry pushed back at most once per this
   * many seconds, so reads stay free of writes. 0 turns rolling expiry off.
   */
  rollingInterval?: number;
  /** How long the store keeps a session whose cookie lasts as long as the browser, in seconds. */
  browserLifetime?: number;
  /** Clock, for tests. */
  now?: () => number;
}

interface WriteOptions {
  /** Write even an untouched session and send its cookie: a hand-written `commitSession`. */
  force?: boolean;
  /** The write is a hand-written `commitSession`/`destroySession`. */
  byHand?: boolean;
  /** The options a hand-written commit passes on to the cookie. */
  serializeOptions?: Parameters<SessionCookie["serialize"]>[2];
}

/** Session storage whose cookie holds only an id and whose data lives in a `SessionStore`. */
export function createStoreSessionStorage<Data = SessionData, FlashData = Data>(
  options: StoreSessionStorageOptions,
): AutoSessionStorage<Data, FlashData> {
  const {
    cookie,
    store,
    rollingInterval = 0,
    browserLifetime = DEFAULT_BROWSER_LIFETIME,
    now = () => Date.now(),
  } = options;

  const durationOf = (lifetime: Lifetime | null) => lifetimeMs(lifetime, cookie.maxAge, browserLifetime);
  // A new id keeps the old one's tag only for a store that places sessions by it (Redis Cluster).
  const nextId = (oldId: string | null) => createSessionId(store.placesByIdTag ? oldId : null);
  const fresh = () => new TrackedSession<Data, FlashData>("", {}, { storedId: null, createId: createSessionId });

  /**
   * The store operation that saves `session`, or null when nothing needs writing, and whether the
   * cookie must go out again.
   */
  function planFor(
    session: TrackedSession<Data, FlashData>,
    force: boolean,
  ): { plan: CommitPlan; renew: boolean } | null {
    const tracking = trackingOf(session);
    const { storedId: readId, changes, lifetime, destroyed } = tracking;
    const plan = (id: string | null, expires = new Date(now() + durationOf(lifetime))): CommitPlan => ({
      readId,
      destroy: destroyed,
      id,
      changes,
      expires,
      lifetime,
    });

    // Signed out: what was read goes, and what the request set afterwards starts a session of its own.
    if (destroyed) return { plan: plan(hasChanges(changes) ? nextId(readId) : null), renew: true };

    // New: stored once it holds something, or when a hand-written commit asks.
    if (readId === null) {
      if (!tracking.modified && !force) return null;
      return { plan: plan(tracking.id || createSessionId()), renew: true };
    }

    const storedExpiry = tracking.expires;
    const due = rollingDue(storedExpiry, durationOf(lifetime), rollingInterval, now());
    const sameCookie = !tracking.regenerated && !tracking.lifetimeChanged && !tracking.stale && !due;
    if (!tracking.modified && sameCookie && !force) return null;

    // A write that keeps the id and the lifetime keeps the expiry too, so its response needs no cookie:
    // an answer that arrives late can then never put back an id that a concurrent sign-in replaced.
    if (sameCookie && !force && storedExpiry !== undefined) {
      return { plan: plan(tracking.id, new Date(storedExpiry)), renew: false };
    }
    // The id, the lifetime or the secret changed, or rolling is due: the expiry moves and the cookie goes out.
    return { plan: plan(tracking.id), renew: true };
  }

  /**
   * Commits `session` and returns the `Set-Cookie` value to send, or null when the browser's cookie
   * stays as it is. Throws `SessionInterruptedError` when the read session is gone.
   */
  function write(session: TrackedSession<Data, FlashData>, options: WriteOptions & { force: true }): Promise<string>;
  function write(session: TrackedSession<Data, FlashData>, options?: WriteOptions): Promise<string | null>;
  async function write(
    session: TrackedSession<Data, FlashData>,
    { force = false, byHand = false, serializeOptions }: WriteOptions = {},
  ): Promise<string | null> {
    const planned = planFor(session, force);
    if (!planned) return null;
    const { plan, renew } = planned;
    await commit(session, plan, byHand);
    if (plan.id === null) return cookie.clear(serializeOptions);
    trackingOf(session).expires = plan.expires.getTime();
    if (!renew) return null;
    return cookie.serialize(plan.id, plan.lifetime, serializeOptions);
  }

  /** Runs `plan` as one store operation and records the save on the session. */
  async function commit(session: TrackedSession<Data, FlashData>, plan: CommitPlan, byHand: boolean): Promise<void> {
    const tracking = trackingOf(session);
    let result: CommitResult;
    try {
      result = await store.commit(plan);
    } catch (error) {
      // Sign-out is never refused: when what the request set after destroy() does not fit, the
      // session still ends, and the error says what was not saved.
      if (!(error instanceof SessionTooLargeError) || !plan.destroy) throw error;
      await store.commit({ ...plan, id: null, changes: emptyChanges() });
      tracking.markSaved(null, { byHand });
      throw error;
    }
    if (result === "gone") {
      tracking.interrupted = true;
      throw new SessionInterruptedError();
    }
    tracking.markSaved(plan.id, { byHand });
  }

  return {
    cookie,

    async getSession(cookieHeader) {
      const parsed = await cookie.parse(cookieHeader);
      if (!parsed || !isSessionId(parsed.value)) return fresh();
      const id = parsed.value;
      const stored = await store.read(id);
      // An unknown id (expired, destroyed, or made up) is never adopted: that would allow fixation.
      if (!stored) return fresh();
      const session = new TrackedSession<Data, FlashData>(id, stored.data, {
        storedId: id,
        createId: () => nextId(id),
        stale: parsed.stale,
        lifetime: stored.lifetime,
        expires: stored.expires.getTime(),
      });
      return session;
    },

    save: (session) => write(session),

    async saveBeside(session, setCookie) {
      const tracking = trackingOf(session);
      if (!tracking.modified) return [];
      const handId = await cookie.valueOf(setCookie);
      const sameSession =
        !tracking.savedByHand && !tracking.destroyed && !tracking.regenerated && handId === tracking.storedId;
      if (!sameSession) return droppedKeys(session);
      await write(session);
      return [];
    },

    async commitSession(session, serializeOptions) {
      const tracked = adopt<Data, FlashData>(session, nextId);
      const lifetime = lifetimeFromOptions(serializeOptions, now);
      if (lifetime !== null) tracked.setLifetime(lifetime);
      // Remix's contract: committing an untouched new session still creates it.
      return write(tracked, { force: true, byHand: true, serializeOptions });
    },

    async destroySession(session, serializeOptions) {
      const tracked = adopt<Data, FlashData>(session, nextId);
      tracked.destroy();
      // A destroy is never refused: a session already gone is what sign-out wants.
      await write(tracked, { byHand: true });
      trackingOf(tracked).markSaved(null, { byHand: true });
      return cookie.clear(serializeOptions);
    },

    close: () => store.close(),
  };
}
