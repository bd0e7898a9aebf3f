import type { SessionData, SessionStorage } from "@remix-run/server-runtime";

import type { SessionCookie } from "./cookie";
import type { TrackedSession } from "./tracked-session";

/**
 * A Remix `SessionStorage` that also knows how to save only what a request changed. Hand-written
 * `commitSession`/`destroySession` calls and libraries that take a `SessionStorage` keep working.
 */
export interface AutoSessionStorage<Data = SessionData, FlashData = Data> extends SessionStorage<Data, FlashData> {
  /** The signed session cookie. */
  readonly cookie: SessionCookie;
  /** Reads the session named by a `Cookie` header; a bad, expired or unknown cookie gives a fresh one. */
  getSession(cookieHeader?: string | null): Promise<TrackedSession<Data, FlashData>>;
  /**
   * Saves what the request changed and returns the `Set-Cookie` value to send, or null when the
   * session did not change and nothing needs sending. Throws `SessionInterruptedError`, having saved
   * nothing, when the session the request read was signed out or moved meanwhile.
   */
  save(session: TrackedSession<Data, FlashData>): Promise<string | null>;
  /**
   * Saves the request's changes beside a cookie the app committed by hand (`setCookie`), when both name
   * the same stored session, and returns the keys it could not save (another session, the cookie store,
   * or changes made after the session itself was committed by hand).
   */
  saveBeside(session: TrackedSession<Data, FlashData>, setCookie: string): Promise<string[]>;
  /** Releases the store's connections and timers. */
  close(): Promise<void>;
}
