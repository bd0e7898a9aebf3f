import type { AppContextExtras, LabContext } from "../app/lab-context";
import type { SessionContext, WithSession } from "auto-commit-session";

import { boolean, type Mode, type Settings } from "./environment";

// The lab (`/lab/*`): whether it is served, and what it is told about the session store behind it.

/**
 * LAB_ROUTES: whether the app serves its `/lab/*` routes (the concurrency lab and the test API). On
 * by default outside production; production leaves them out unless told, since `/lab/session` hands
 * the whole session to any script on the site and `/lab/mark/:key` writes the session on a GET.
 */
export function readLabRoutes(env: Settings, mode: Mode): boolean {
  return boolean(env, "LAB_ROUTES", mode !== "production");
}

/**
 * About the most JSON a cookie-store session can hold: past roughly 2,940 bytes its signed,
 * base64-encoded cookie passes the 4096 bytes browsers keep (measured with `__Host-session` and
 * production attributes). Kept lower so the lab stops before a commit would fail.
 */
export const COOKIE_SESSION_JSON_BUDGET = 2800;

/** What the lab is told about the session behind it (`context.lab`), for a store and its SESSION_MAX_BYTES. */
export function labContext(store: string, maxBytes: number): LabContext {
  const cookie = store === "cookie";
  return {
    store,
    // Workers KV has no atomic update, and the cookie store's copy is whichever response came last.
    merges: !cookie && store !== "kv",
    sessionLimitBytes: cookie ? COOKIE_SESSION_JSON_BUDGET : maxBytes,
  };
}

/**
 * `withSession` that also hands the app `lab` on its context. Every runtime's adapter spreads the
 * context `withSession` gives into Remix's load context, so the entries never hear of the lab, and a
 * runtime that skips this leaves the lab's routes answering 404.
 */
export function withLabContext<Data, FlashData>(
  withSession: WithSession<Data, FlashData>,
  lab: LabContext | null,
): WithSession<Data, FlashData> {
  return (request, handler) =>
    withSession(request, (sessionContext) => {
      const context: SessionContext<Data, FlashData> & AppContextExtras = { ...sessionContext, lab };
      return handler(context);
    });
}
