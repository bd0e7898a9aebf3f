export { createAutoCommit, type AutoCommitOptions, type SessionContext, type WithSession } from "./auto-commit";
export { applyChanges, emptyChanges, hasChanges, type SessionChanges, type SessionRecord } from "./changes";
export { SessionCookie, type SessionCookieOptions } from "./cookie";
export { COOKIE_SIZE_LIMIT, createCookieSessionStorage } from "./cookie-session-storage";
export { SessionStoreUnavailableError, SessionTooLargeError } from "./errors";
export { createSessionId, isSessionId } from "./id";
export type { AutoSessionStorage } from "./storage";
export type { SessionStore, StoredSession } from "./store";
export {
  createStoreSessionStorage,
  DEFAULT_BROWSER_LIFETIME,
  MAX_LIFETIME,
  type StoreSessionStorageOptions,
} from "./store-session-storage";
export { TrackedSession } from "./tracked-session";
