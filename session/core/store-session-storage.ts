import { isSession, type Session, type SessionData } from "@remix-run/server-runtime";

import { changedKeys, hasChanges } from "./changes";
import type { SessionCookie } from "./cookie";
import { SessionInterruptedError } from "./errors";
import { createSessionId, isSessionId } from "./id";
import type { AutoSessionStorage } from "./storage";
import type { CommitPlan, Lifetime, SessionStore } from "./store";
import { TrackedSession } from "./tracked-session";

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

/** One day: how long a browser-session ("Keep me signed in" off) session outlives its last use by default. */
export const DEFAULT_BROWSER_LIFETIME = 24 * 60 * 60;

/** Session storage whose cookie holds only an id and whose data lives in a `SessionStore`. */
export function createStoreSessionStorage<Data = SessionData, FlashData = Data>(
  options: StoreSessionStorageOptions,
): AutoSessionStorage<Data, FlashData> {
  const { cookie, store, rollingInterval = 0, browserLifetime = DEFAULT_BROWSER_LIFETIME, now = Date.now } = options;
  // Remembered per session object: the expiry the store reported when the request read it.
  const expiries = new WeakMap<object, number>();

  const lifetimeMs = (lifetime: Lifetime | null) =>
    1000 * (lifetime === null ? cookie.maxAge : lifetime === "browser" ? browserLifetime : lifetime);
  const fresh = () => new TrackedSession<Data, FlashData>("", {}, { storedId: null, createId: createSessionId });

  function rollingDue(session: TrackedSession<Data, FlashData>): boolean {
    const expires = expiries.get(session);
    if (!rollingInterval || expires === undefined) return false;
    // The expiry was last set at (expires - lifetime); extend once that is an interval ago.
    return now() - (expires - lifetimeMs(session.lifetime)) >= rollingInterval * 1000;
  }

  /** The store operation that saves `session`, or null when nothing needs writing. */
  function planFor(session: TrackedSession<Data, FlashData>, force: boolean): CommitPlan | null {
    const readId = session.storedId;
    let id: string | null;
    if (session.isDestroyed) {
      id = hasChanges(session.changes) ? createSessionId() : null;
    } else if (readId === null) {
      if (!session.isModified && !force) return null;
      id = session.id || createSessionId();
    } else {
      if (!session.isModified && !session.isStale && !rollingDue(session) && !force) return null;
      id = session.id;
    }
    const { changes, lifetime } = session;
    return {
      readId,
      destroy: session.isDestroyed,
      id,
      changes,
      expires: new Date(now() + lifetimeMs(lifetime)),
      lifetime,
    };
  }

  /** Commits `session`; the id it now lives under (null: none), or throws when it was interrupted. */
  async function write(
    session: TrackedSession<Data, FlashData>,
    { force = false, byHand = false } = {},
  ): Promise<{ id: string | null } | null> {
    const plan = planFor(session, force);
    if (!plan) return null;
    if ((await store.commit(plan)) === "gone") {
      session.markInterrupted();
      throw new SessionInterruptedError();
    }
    session.markSaved(plan.id, { byHand });
    if (plan.id !== null) expiries.set(session, plan.expires.getTime());
    return { id: plan.id };
  }

  return {
    cookie,

    async getSession(cookieHeader) {
      const parsed = await cookie.parse(cookieHeader);
      if (!parsed || !isSessionId(parsed.value)) return fresh();
      const stored = await store.read(parsed.value);
      // An unknown id (expired, destroyed, or made up) is never adopted: that would allow fixation.
      if (!stored) return fresh();
      const session = new TrackedSession<Data, FlashData>(parsed.value, stored.data, {
        storedId: parsed.value,
        createId: createSessionId,
        stale: parsed.stale,
        lifetime: stored.lifetime,
      });
      expiries.set(session, stored.expires.getTime());
      return session;
    },

    async save(session) {
      const saved = await write(session);
      if (!saved) return null;
      return saved.id === null ? cookie.clear() : cookie.serialize(saved.id, session.lifetime);
    },

    async saveBeside(session, setCookie) {
      if (!session.isModified) return [];
      const handId = await cookie.valueOf(setCookie);
      const sameSession =
        !session.isSavedByHand && !session.isDestroyed && !session.isRegenerated && handId === session.storedId;
      if (!sameSession) return droppedKeys(session);
      await write(session);
      return [];
    },

    async commitSession(session, serializeOptions) {
      const tracked = adopt<Data, FlashData>(session);
      const lifetime = lifetimeFromOptions(serializeOptions, now);
      if (lifetime !== null) tracked.setLifetime(lifetime);
      // Remix's contract: committing an untouched new session still creates it.
      const saved = await write(tracked, { force: true, byHand: true });
      if (saved?.id === null) return cookie.clear(serializeOptions);
      return cookie.serialize(tracked.id, tracked.lifetime, serializeOptions);
    },

    async destroySession(session, serializeOptions) {
      const tracked = adopt<Data, FlashData>(session);
      tracked.destroy();
      // A destroy is never refused: a session already gone is what sign-out wants.
      await write(tracked, { byHand: true });
      tracked.markSaved(null, { byHand: true });
      return cookie.clear(serializeOptions);
    },

    close: () => store.close(),
  };
}

/** What a change set that cannot be saved touched, for the warning that names it. */
export function droppedKeys<Data, FlashData>(session: TrackedSession<Data, FlashData>): string[] {
  const keys = changedKeys(session.changes);
  if (session.isDestroyed) keys.unshift("(destroy)");
  if (session.isRegenerated) keys.unshift("(regenerateId)");
  return keys;
}

/**
 * The session a hand-written commit passed, as a `TrackedSession`. One this stack made is itself; any
 * other that passes Remix's `isSession` (one from `createSession`, say) is taken as a session whose
 * every key was written, under its id when that is one of ours.
 */
export function adopt<Data, FlashData>(session: unknown): TrackedSession<Data, FlashData> {
  if (session instanceof TrackedSession) return session as TrackedSession<Data, FlashData>;
  if (!isSession(session)) {
    throw new TypeError("commitSession/destroySession expects a Remix Session (one that passes isSession)");
  }
  const foreign = session as Session<SessionData, SessionData>;
  const id = isSessionId(foreign.id) ? foreign.id : "";
  const tracked = new TrackedSession<SessionData, SessionData>(
    id,
    {},
    {
      storedId: id || null,
      createId: createSessionId,
    },
  );
  for (const [key, value] of Object.entries(foreign.data)) tracked.set(key, value);
  return tracked as unknown as TrackedSession<Data, FlashData>;
}

/** The lifetime Remix's `maxAge`/`expires` serialize options ask for, or null when they name none. */
export function lifetimeFromOptions(
  options: { maxAge?: number; expires?: Date } | undefined,
  now: () => number,
): Lifetime | null {
  if (options?.maxAge !== undefined) return Math.max(0, Math.floor(options.maxAge));
  if (options?.expires) return Math.max(0, Math.ceil((options.expires.getTime() - now()) / 1000));
  return null;
}
