import { applyChanges, type SessionRecord } from "./changes";
import type { CommitPlan } from "./store";

/** The answer of `nextSessionData` when the session the request read no longer exists. */
export const GONE = Symbol("gone");

/**
 * What a store ends up holding under `plan.id`, given the data it holds under `plan.readId` right now
 * (null when that id is unknown or expired): `GONE` when the read session disappeared meanwhile and
 * the commit must change nothing; null when nothing is kept (a destroy with no later changes).
 * Stores that merge in JavaScript (memory, SQLite, Workers KV) call this inside their atomic step.
 */
export function nextSessionData(plan: CommitPlan, current: SessionRecord | null): SessionRecord | null | typeof GONE {
  if (plan.readId !== null && !plan.destroy && current === null) return GONE;
  if (plan.id === null) return null;
  return applyChanges(plan.destroy || current === null ? {} : current, plan.changes);
}
