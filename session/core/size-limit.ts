import { SessionTooLargeError } from "./errors";

/** The largest session a server-side store accepts unless told otherwise, in UTF-8 bytes of its JSON. */
export const DEFAULT_MAX_SESSION_BYTES = 64 * 1024;

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
