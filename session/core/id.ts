/** Random bytes behind every id, all fresh: 192 bits, whatever the tag. */
const RANDOM_BYTES = 24;
/** Random bytes of the tag: four base64url characters, enough to spread sessions over Redis Cluster's 16,384 slots. */
const TAG_BYTES = 3;

/**
 * The first characters of an id, which a regenerated id keeps: a store that shards by key (Redis
 * Cluster) places a session by them, so the old and the new id of a regenerate share a shard. They
 * are not secret and count for nothing in an id's strength.
 */
export const ID_TAG_LENGTH = 4;

/**
 * A new session id: a 4-character tag, then 192 random bits from the platform's CSPRNG, base64url
 * (36 characters). The tag is random too, unless `keepTagOf` names the id this one replaces
 * (regenerate, or a destroy that starts a new session): then it is that id's tag. The 192 bits are
 * always fresh, so whoever knew the old id knows nothing of the new one.
 */
export function createSessionId(keepTagOf?: string | null): string {
  const random = base64url(crypto.getRandomValues(new Uint8Array(TAG_BYTES + RANDOM_BYTES)));
  if (!keepTagOf || !isSessionId(keepTagOf)) return random;
  return keepTagOf.slice(0, ID_TAG_LENGTH) + random.slice(ID_TAG_LENGTH);
}

/**
 * Whether `value` has the shape of an id made by `createSessionId` (36 characters), or by its
 * earlier version (32 random characters, no separate tag); anything else is never looked up.
 */
export function isSessionId(value: unknown): value is string {
  return typeof value === "string" && /^[A-Za-z0-9_-]{32}(?:[A-Za-z0-9_-]{4})?$/.test(value);
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
