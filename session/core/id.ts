const ID_BYTES = 24;

/** A new session id: 192 random bits from the platform's CSPRNG, base64url-encoded (32 characters). */
export function createSessionId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(ID_BYTES));
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Whether `value` has the shape of an id made by `createSessionId`; anything else is never looked up. */
export function isSessionId(value: unknown): value is string {
  return typeof value === "string" && /^[A-Za-z0-9_-]{32}$/.test(value);
}
