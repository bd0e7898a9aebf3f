import type { SessionContext } from "auto-commit-session";

/**
 * Every value the app keeps in its session, declared once. `context.session` is typed from these,
 * so `session.get("theme")` is a `Theme | undefined` and `session.set("visits", "x")` does not compile.
 */
export interface SessionData {
  /** Pages loaded in this session (the root loader counts them). */
  visits: number;
  /** Loads of the library layout's loader (the parent of the nested routes). */
  libraryLoads: number;
  /** Loads of a shelf's loader (the child of the nested routes). */
  shelfLoads: number;
  /** The last shelf opened. */
  lastShelf: string;
  /** Display preferences. */
  theme: "light" | "dark";
  density: "comfortable" | "compact";
  /** The signed-in user, if any. */
  user: { name: string; signedInAt: string };
  /** Keys written by the concurrency lab and `/lab/mark/:key`: the ISO time of the write. */
  [mark: `mark:${string}`]: string;
}

/** Values that live until they are read once. */
export interface SessionFlashData {
  /** A confirmation shown once after a form posts. */
  notice: string;
}

/** What `context.session` and `context.sessionStorage` are in every loader and action. */
export type AppSessionContext = SessionContext<SessionData, SessionFlashData>;
export type AppSession = AppSessionContext["session"];
