import { SessionTooLargeError } from "./errors";

// How big a session may grow, one policy for every store: each takes its limit from `sessionSizeLimit`
// and checks a session's JSON with `enforceSizeLimit` (Redis, which measures inside its script, and
// the Durable Object, which measures in the object, are handed the same number).

/** The largest session a server-side store accepts unless told otherwise, in UTF-8 bytes of its JSON. */
export const DEFAULT_MAX_SESSION_BYTES = 64 * 1024;

/**
 * A store's limit from its `maxSessionBytes` option: the default when unset, 0 for no limit, and
 * otherwise that many bytes. Anything but a whole number of 0 or more is a mistake and refused.
 */
export function sessionSizeLimit(maxSessionBytes: number | undefined): number {
  if (maxSessionBytes === undefined) return DEFAULT_MAX_SESSION_BYTES;
  if (!Number.isInteger(maxSessionBytes) || maxSessionBytes < 0) {
    throw new RangeError(`maxSessionBytes must be a whole number of bytes, 0 for no limit; got ${maxSessionBytes}`);
  }
  return maxSessionBytes;
}

const encoder = new TextEncoder();

/**
 * Refuses a session whose JSON is over `limit` UTF-8 bytes; 0 means no limit. Every store calls this,
 * so the limit means the same everywhere. Unbounded sessions would let one client grow a store without end.
 */
export function enforceSizeLimit(json: string, limit: number): void {
  // A UTF-16 unit is at most 3 UTF-8 bytes, so most sessions are cleared without encoding them.
  if (limit <= 0 || json.length * 3 <= limit) return;
  const bytes = encoder.encode(json).byteLength;
  if (bytes > limit) throw new SessionTooLargeError("The session", bytes, limit);
}
