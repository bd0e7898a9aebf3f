import type { Session, SessionData } from "@remix-run/server-runtime";

import { changedKeys } from "./changes";
import { createSessionId, isSessionId } from "./id";
import { trackingOf, TrackedSession } from "./tracked-session";

// What both storages need for commits written by hand (`commitSession`, `destroySession`) beside the
// automatic one: the session they were handed, and what could not be saved beside their cookie.

/**
 * The session a hand-written commit passed, as a `TrackedSession`. One this stack made is itself; any
 * other that passes Remix's `isSession` (one from `createSession`, say) is taken as a session whose
 * every key was written, under its id when that is one of ours.
 */
export function adopt<Data, FlashData>(
  session: unknown,
  nextId: (oldId: string) => string = () => createSessionId(),
): TrackedSession<Data, FlashData> {
  if (session instanceof TrackedSession) return session as TrackedSession<Data, FlashData>;
  if (!isRemixSession(session)) {
    throw new TypeError("commitSession/destroySession expects a Remix Session (one that passes isSession)");
  }
  const foreign = session as Session<SessionData, SessionData>;
  const id = isSessionId(foreign.id) ? foreign.id : "";
  const tracked = new TrackedSession<SessionData, SessionData>(
    id,
    {},
    {
      storedId: id || null,
      createId: () => nextId(id),
    },
  );
  for (const [key, value] of Object.entries(foreign.data)) tracked.set(key, value);
  return tracked as unknown as TrackedSession<Data, FlashData>;
}

/** What a change set that cannot be saved touched, for the warning that names it. */
export function droppedKeys<Data, FlashData>(session: TrackedSession<Data, FlashData>): string[] {
  const tracking = trackingOf(session);
  const keys = changedKeys(tracking.changes);
  if (tracking.destroyed) keys.unshift("(destroy)");
  if (tracking.regenerated) keys.unshift("(regenerateId)");
  return keys;
}

/**
 * Remix's `isSession`, a shape check, written out so the core imports nothing at run time and works
 * with sessions from React Router 7 as well.
 */
function isRemixSession(value: unknown): value is Session {
  const candidate = value as Partial<Record<keyof Session, unknown>> | null | undefined;
  return (
    candidate != null &&
    typeof candidate.id === "string" &&
    candidate.data !== undefined &&
    ["has", "get", "set", "flash", "unset"].every((method) => typeof candidate[method as keyof Session] === "function")
  );
}
