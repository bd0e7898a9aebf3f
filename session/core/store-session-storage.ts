import type { SessionData } from "@remix-run/server-runtime";

import { hasChanges } from "./changes";
import type { SessionCookie } from "./cookie";
import { createSessionId, isSessionId } from "./id";
import type { AutoSessionStorage } from "./storage";
import type { SessionStore } from "./store";
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
  /** Clock, for tests. */
  now?: () => number;
}

/** Session storage whose cookie holds only an id and whose data lives in a `SessionStore`. */
export function createStoreSessionStorage<Data = SessionData, FlashData = Data>(
  options: StoreSessionStorageOptions,
): AutoSessionStorage<Data, FlashData> {
  const { cookie, store, rollingInterval = 0, now = Date.now } = options;
  const lifetimeMs = cookie.maxAge * 1000;
  // Remembered per session object: the expiry the store reported when the request read it.
  const expiries = new WeakMap<object, number>();

  const expiresFromNow = () => new Date(now() + lifetimeMs);
  const fresh = () =>
    new TrackedSession<Data, FlashData>(createSessionId(), {}, { storedId: null, createId: createSessionId });

  function rollingDue(session: TrackedSession<Data, FlashData>): boolean {
    const expires = expiries.get(session);
    if (!rollingInterval || expires === undefined) return false;
    // The expiry was last set at (expires - lifetime); extend once that is an interval ago.
    return now() - (expires - lifetimeMs) >= rollingInterval * 1000;
  }

  async function write(session: TrackedSession<Data, FlashData>): Promise<"written" | "cleared" | "none"> {
    const { storedId } = session;
    const expires = expiresFromNow();
    if (session.isDestroyed && storedId) await store.destroy(storedId);
    if (session.isRegenerated && storedId) await store.rename(storedId, session.id, expires);
    if (hasChanges(session.changes)) {
      await store.apply(session.id, session.changes, expires);
    } else if (session.isDestroyed) {
      session.markSaved(null);
      return "cleared";
    } else if (session.isRegenerated || session.isStale) {
      // Nothing else to write: the data moved (or stays) and the cookie must carry the id anew.
    } else if (storedId && rollingDue(session)) {
      await store.touch(storedId, expires);
    } else {
      return "none";
    }
    session.markSaved(session.id);
    expiries.set(session, expires.getTime());
    return "written";
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
      });
      expiries.set(session, stored.expires.getTime());
      return session;
    },

    async save(session) {
      const outcome = await write(session);
      if (outcome === "none") return null;
      if (outcome === "cleared") return cookie.clear();
      return cookie.serialize(session.id);
    },

    async commitSession(session, serializeOptions) {
      const tracked = asTracked<Data, FlashData>(session);
      const outcome = await write(tracked);
      if (outcome === "cleared") return cookie.clear();
      if (outcome === "none" && tracked.storedId === null) {
        // Remix's contract: committing an untouched new session still creates it.
        await store.apply(tracked.id, { set: {}, unset: [], consumed: {} }, expiresFromNow());
        tracked.markSaved(tracked.id);
      }
      return cookie.serialize(tracked.id, serializeOptions);
    },

    async destroySession(session) {
      const tracked = asTracked<Data, FlashData>(session);
      const id = tracked.storedId ?? tracked.id;
      await store.destroy(id);
      tracked.destroy();
      tracked.markSaved(null);
      return cookie.clear();
    },

    close: () => store.close(),
  };
}

/** Hand-written commits must pass the session this storage made: only it knows what changed. */
export function asTracked<Data, FlashData>(session: unknown): TrackedSession<Data, FlashData> {
  if (session instanceof TrackedSession) return session as TrackedSession<Data, FlashData>;
  throw new TypeError(
    "commitSession/destroySession expects the session from context.session or from this storage's getSession()",
  );
}
