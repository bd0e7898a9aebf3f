/** A session's stored data: JSON-serialisable values by key (flash keys in their `__flash_<key>__` form). */
export type SessionRecord = Record<string, unknown>;

/**
 * What one request did to its session. Stores apply this onto the data they hold *now*, never the
 * snapshot the request started from, so requests running at the same time keep each other's writes.
 */
export interface SessionChanges {
  /** Keys written, with their new values. */
  set: SessionRecord;
  /** Keys removed. */
  unset: string[];
  /**
   * Flash keys this request read, with the value it read. A consumed flash is removed only while the
   * store still holds that value, so a newer flash set by another request survives.
   */
  consumed: SessionRecord;
}

/** A change set that changes nothing. */
export function emptyChanges(): SessionChanges {
  return { set: {}, unset: [], consumed: {} };
}

/** Whether applying `changes` could change anything. */
export function hasChanges(changes: SessionChanges): boolean {
  return changes.unset.length > 0 || Object.keys(changes.set).length > 0 || Object.keys(changes.consumed).length > 0;
}

/** The keys a change set touches, for messages. */
export function changedKeys(changes: SessionChanges): string[] {
  return [...new Set([...Object.keys(changes.set), ...changes.unset, ...Object.keys(changes.consumed)])];
}

/** Applies `changes` onto `current` and returns the new data; `current` is not modified. */
export function applyChanges(current: SessionRecord, changes: SessionChanges): SessionRecord {
  const next: SessionRecord = { ...current };
  for (const key of changes.unset) delete next[key];
  for (const [key, value] of Object.entries(changes.consumed)) {
    if (key in next && sameValue(next[key], value)) delete next[key];
  }
  for (const [key, value] of Object.entries(changes.set)) next[key] = value;
  return next;
}

/** Compares two stored values the way a store would see them: as JSON. */
export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
