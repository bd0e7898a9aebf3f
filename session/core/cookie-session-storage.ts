import type { SessionData } from "@remix-run/server-runtime";

import { hasChanges, type SessionRecord } from "./changes";
import type { SessionCookie } from "./cookie";
import { SessionTooLargeError } from "./errors";
import { asTracked } from "./store-session-storage";
import type { AutoSessionStorage } from "./storage";
import { TrackedSession } from "./tracked-session";

/** Browsers drop cookies past 4096 bytes (name, value and attributes together). */
export const COOKIE_SIZE_LIMIT = 4096;

/**
 * Session storage that keeps the data inside the signed cookie. Nothing is stored on the server,
 * so requests running at the same time cannot merge: each response carries its own whole copy and
 * the browser keeps the last one it receives.
 */
export function createCookieSessionStorage<Data = SessionData, FlashData = Data>(options: {
  cookie: SessionCookie;
}): AutoSessionStorage<Data, FlashData> {
  const { cookie } = options;
  const noId = () => "";

  async function serialize(session: TrackedSession<Data, FlashData>): Promise<string> {
    const header = await cookie.serialize(session.data);
    if (header.length > COOKIE_SIZE_LIMIT) {
      throw new SessionTooLargeError("The session cookie", header.length, COOKIE_SIZE_LIMIT);
    }
    session.markSaved("");
    return header;
  }

  return {
    cookie,

    async getSession(cookieHeader) {
      const parsed = await cookie.parse(cookieHeader);
      const data = parsed && isRecord(parsed.value) ? parsed.value : {};
      return new TrackedSession<Data, FlashData>("", data, {
        storedId: parsed ? "" : null,
        createId: noId,
        stale: parsed?.stale,
      });
    },

    async save(session) {
      if (session.isDestroyed && !hasChanges(session.changes)) {
        session.markSaved(null);
        return cookie.clear();
      }
      if (!session.isModified && !session.isStale) return null;
      return serialize(session);
    },

    async commitSession(session) {
      return serialize(asTracked<Data, FlashData>(session));
    },

    async destroySession(session) {
      const tracked = asTracked<Data, FlashData>(session);
      tracked.destroy();
      tracked.markSaved(null);
      return cookie.clear();
    },

    close: async () => {},
  };
}

function isRecord(value: unknown): value is SessionRecord {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
