import type { SessionData } from "@remix-run/server-runtime";

import { hasChanges, type SessionRecord } from "./changes";
import type { SessionCookie } from "./cookie";
import { SessionTooLargeError } from "./errors";
import { adopt, droppedKeys } from "./hand-commit";
import { DEFAULT_BROWSER_LIFETIME, lifetimeFromOptions, lifetimeMs, rollingDue } from "./lifetime";
import type { AutoSessionStorage } from "./storage";
import type { Lifetime } from "./store";
import { trackingOf, TrackedSession } from "./tracked-session";

/** Browsers drop cookies past 4096 bytes (name, value and attributes together). */
export const COOKIE_SIZE_LIMIT = 4096;

/**
 * What the signed cookie carries: the data, when it stops opening the session (Unix ms), and the
 * lifetime chosen for it. The expiry is signed with the data because a browser's `Max-Age` binds only
 * the browser: a copy replayed later must not open the session.
 */
interface Payload {
  d: SessionRecord;
  e: number;
  l?: Lifetime;
}

export interface CookieSessionStorageOptions {
  cookie: SessionCookie;
  /** Re-issue an unchanged session's cookie at most once per this many seconds, extending it; 0: never. */
  rollingInterval?: number;
  /** How long a browser-session cookie's payload stays valid, in seconds. */
  browserLifetime?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/**
 * Session storage that keeps the data inside the signed cookie. Nothing is stored on the server,
 * so requests running at the same time cannot merge: each response carries its own whole copy and
 * the browser keeps the last one it receives. Nor can a copy be revoked before its signed expiry.
 */
export function createCookieSessionStorage<Data = SessionData, FlashData = Data>(
  options: CookieSessionStorageOptions,
): AutoSessionStorage<Data, FlashData> {
  const { cookie, rollingInterval = 0, browserLifetime = DEFAULT_BROWSER_LIFETIME, now = () => Date.now() } = options;
  const noId = () => "";

  const durationOf = (lifetime: Lifetime | null) => lifetimeMs(lifetime, cookie.maxAge, browserLifetime);

  async function serialize(
    session: TrackedSession<Data, FlashData>,
    serializeOptions?: Parameters<SessionCookie["serialize"]>[2],
  ): Promise<string> {
    const tracking = trackingOf(session);
    const { lifetime } = tracking;
    // From the lifetime, which a hand commit's maxAge (or else expires) set: browsers obey Max-Age first.
    const expires = now() + durationOf(lifetime);
    const payload: Payload = { d: session.data as SessionRecord, e: expires };
    if (lifetime !== null) payload.l = lifetime;
    const header = await cookie.serialize(payload, lifetime, serializeOptions);
    if (header.length > COOKIE_SIZE_LIMIT) {
      throw new SessionTooLargeError("The session cookie", header.length, COOKIE_SIZE_LIMIT);
    }
    tracking.markSaved("");
    tracking.expires = expires;
    return header;
  }

  return {
    cookie,

    async getSession(cookieHeader) {
      const parsed = await cookie.parse(cookieHeader);
      const payload = parsed ? asPayload(parsed.value) : null;
      // A payload past its signed expiry, or in a shape this storage never wrote, opens nothing.
      if (!payload || payload.e <= now())
        return new TrackedSession<Data, FlashData>("", {}, { storedId: null, createId: noId });
      const session = new TrackedSession<Data, FlashData>("", payload.d, {
        storedId: "",
        createId: noId,
        stale: parsed!.stale,
        lifetime: payload.l ?? null,
        expires: payload.e,
      });
      return session;
    },

    async save(session) {
      const tracking = trackingOf(session);
      if (tracking.destroyed && !hasChanges(tracking.changes)) {
        tracking.markSaved(null);
        return cookie.clear();
      }
      const due = rollingDue(tracking.expires, durationOf(tracking.lifetime), rollingInterval, now());
      if (!tracking.modified && !tracking.stale && !due) return null;
      return serialize(session);
    },

    // The cookie carries one whole copy: changes beside a hand-made cookie can never be merged into it.
    async saveBeside(session) {
      return trackingOf(session).modified ? droppedKeys(session) : [];
    },

    async commitSession(session, serializeOptions) {
      const tracked = adopt<Data, FlashData>(session);
      const lifetime = lifetimeFromOptions(serializeOptions, now);
      if (lifetime !== null) tracked.setLifetime(lifetime);
      const header = await serialize(tracked, serializeOptions);
      trackingOf(tracked).markSaved("", { byHand: true });
      return header;
    },

    async destroySession(session, serializeOptions) {
      const tracked = adopt<Data, FlashData>(session);
      tracked.destroy();
      trackingOf(tracked).markSaved(null, { byHand: true });
      return cookie.clear(serializeOptions);
    },

    close: async () => {},
  };
}

function asPayload(value: unknown): Payload | null {
  if (typeof value !== "object" || value === null) return null;
  const { d, e, l } = value as Partial<Payload>;
  if (typeof e !== "number" || typeof d !== "object" || d === null || Array.isArray(d)) return null;
  const lifetime = l === "browser" || (typeof l === "number" && l >= 0) ? l : undefined;
  return { d, e, l: lifetime };
}
