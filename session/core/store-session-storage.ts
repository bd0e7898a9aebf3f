import { isSession, type Session, type SessionData } from "@remix-run/server-runtime";

import { changedKeys, emptyChanges, hasChanges } from "./changes";
import type { SessionCookie } from "./cookie";
import { SessionInterruptedError, SessionTooLargeError } from "./errors";
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

/** Browsers cap a cookie's lifetime at 400 days (RFC 6265bis); a longer one is stored as this. */
export const MAX_LIFETIME = 400 * 24 * 60 * 60;

/** The milliseconds a lifetime lasts: `fallback` seconds for the default, `browser` for "browser", at most 400 days. */
export function lifetimeMs(lifetime: Lifetime | null, fallback: number, browser: number): number {
  const seconds = lifetime === null ? fallback : lifetime === "browser" ? browser : lifetime;
  return 1000 * Math.min(seconds, MAX_LIFETIME);
}

/**
 * Whether an unchanged session's expiry (`expires`, Unix ms) is due to be pushed back: once an
 * interval has passed since it was set, or half its lifetime for lifetimes shorter than two intervals,
 * so an active session never runs out between refreshes. An interval of 0 turns this off.
 */
export function rollingDue(expires: number | undefined, lifetime: number, interval: number, now: number): boolean {
  if (!interval || expires === undefined) return false;
  const every = Math.min(interval * 1000, lifetime / 2);
  // The expiry was last set at (expires - lifetime).
  return now - (expires - lifetime) >= every;
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
  // Remembered per session object: the expiry the store reported when the request read it.
  const expiries = new WeakMap<object, number>();

  const durationOf = (lifetime: Lifetime | null) => lifetimeMs(lifetime, cookie.maxAge, browserLifetime);
  const fresh = () => new TrackedSession<Data, FlashData>("", {}, { storedId: null, createId: createSessionId });

  /**
   * The store operation that saves `session`, or null when nothing needs writing, and whether the
   * cookie must go out again. A write that keeps the id and the lifetime keeps the expiry too, so its
   * response needs no cookie: an answer that arrives late can then never put back an id that a
   * concurrent sign-in replaced. The expiry moves, and the cookie goes out, when rolling is due.
   */
  function planFor(
    session: TrackedSession<Data, FlashData>,
    force: boolean,
  ): { plan: CommitPlan; renew: boolean } | null {
    const readId = session.storedId;
    const { changes, lifetime } = session;
    const storedExpiry = expiries.get(session);
    let expires = new Date(now() + durationOf(lifetime));
    let renew = true;
    let id: string | null;
    if (session.isDestroyed) {
      id = hasChanges(changes) ? createSessionId() : null;
    } else if (readId === null) {
      if (!session.isModified && !force) return null;
      id = session.id || createSessionId();
    } else {
      const due = rollingDue(storedExpiry, durationOf(lifetime), rollingInterval, now());
      const sameCookie = !session.isRegenerated && !session.isLifetimeChanged && !session.isStale && !due;
      if (!session.isModified && sameCookie && !force) return null;
      id = session.id;
      if (sameCookie && !force && storedExpiry !== undefined) {
        expires = new Date(storedExpiry);
        renew = false;
      }
    }
    return { plan: { readId, destroy: session.isDestroyed, id, changes, expires, lifetime }, renew };
  }

  /**
   * Commits `session`: the id it now lives under (null: none) and whether to send its cookie, or null
   * when nothing was written. Throws `SessionInterruptedError` when the read session is gone.
   */
  async function write(
    session: TrackedSession<Data, FlashData>,
    { force = false, byHand = false } = {},
  ): Promise<{ id: string | null; renew: boolean } | null> {
    const planned = planFor(session, force);
    if (!planned) return null;
    const { plan, renew } = planned;
    let result;
    try {
      result = await store.commit(plan);
    } catch (error) {
      // Sign-out is never refused: when what the request set after destroy() does not fit, the
      // session still ends, and the error says what was not saved.
      if (!(error instanceof SessionTooLargeError) || !plan.destroy) throw error;
      await store.commit({ ...plan, id: null, changes: emptyChanges() });
      session.markSaved(null, { byHand });
      throw error;
    }
    if (result === "gone") {
      session.markInterrupted();
      throw new SessionInterruptedError();
    }
    session.markSaved(plan.id, { byHand });
    if (plan.id !== null) expiries.set(session, plan.expires.getTime());
    return { id: plan.id, renew };
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
      if (saved.id === null) return cookie.clear();
      return saved.renew ? cookie.serialize(saved.id, session.lifetime) : null;
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
