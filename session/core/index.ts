// The package's public door: what an app, an adapter or a new store uses. Storage internals (the
// tracking record behind each session, the hand-commit helpers) stay behind it.
export { createAutoCommit, type AutoCommitOptions, type SessionContext, type WithSession } from "./auto-commit";
export { applyChanges, emptyChanges, hasChanges, type SessionChanges, type SessionRecord } from "./changes";
export { nextSessionData, GONE } from "./commit-plan";
export { SessionCookie, type SessionCookieOptions } from "./cookie";
export { COOKIE_SIZE_LIMIT, createCookieSessionStorage } from "./cookie-session-storage";
export { SessionInterruptedError, SessionStoreUnavailableError, SessionTooLargeError } from "./errors";
export { createSessionId, isSessionId } from "./id";
export { DEFAULT_BROWSER_LIFETIME, MAX_LIFETIME } from "./lifetime";
export { isCrossOriginWrite, refuseCrossOriginWrites, type OriginPolicy } from "./same-origin";
export { DEFAULT_MAX_SESSION_BYTES, enforceSizeLimit, sessionSizeLimit } from "./size-limit";
export type { AutoSessionStorage } from "./storage";
export type { CommitPlan, CommitResult, Lifetime, SessionStore, StoredSession } from "./store";
export { createStoreSessionStorage, type StoreSessionStorageOptions } from "./store-session-storage";
export { TrackedSession, type LateChangeListener } from "./tracked-session";
