import type { Cookie, CookieSerializeOptions, CreateCookieFunction } from "@remix-run/server-runtime";

import type { Lifetime } from "./store";

/** How the session cookie is named, signed and flagged. */
export interface SessionCookieOptions {
  /** The cookie's name. */
  name: string;
  /** Signing secrets: the first signs, every one verifies (so a secret can be rotated out slowly). */
  secrets: string[];
  /** Send the cookie over HTTPS only; on in production. */
  secure: boolean;
  /** Lifetime in seconds. */
  maxAge: number;
}

/** What the request's cookie held. */
export interface ParsedCookie {
  /** The verified value. */
  value: unknown;
  /** True when an older secret verified it, so the next response should re-sign it. */
  stale: boolean;
}

/** How many `Cookie` headers the verified-value memo holds; the least recently used goes first. */
const VERIFIED_MEMO_ENTRIES = 256;

/** Headers longer than this are verified every time rather than held in the memo. */
const VERIFIED_MEMO_MAX_HEADER = 8192;

/**
 * The signed session cookie, built on Remix's `createCookie` (passed in, so the same code runs on
 * Node and on Workers). Malformed or forged cookies parse as null, never as an error.
 */
export class SessionCookie {
  #current: Cookie;
  #all: Cookie | null;
  #maxAge: number;
  /**
   * `Cookie` headers this instance verified lately, with what they held as JSON. A browser sends the
   * same header request after request, and Remix's decoding costs about 60 ns per character (100 µs
   * for a cookie-store session of 1.6 kB), so a header seen again is answered from here. Only headers
   * that verified are kept, each under its exact text, with this instance's fixed secrets; a copy is
   * parsed from the JSON every time, so no request can change what another one reads.
   */
  #verified = new Map<string, { json: string; stale: boolean }>();

  constructor(createCookie: CreateCookieFunction, options: SessionCookieOptions) {
    if (options.secrets.length === 0 || options.secrets.some((secret) => secret.length === 0)) {
      throw new Error("SessionCookie needs at least one non-empty secret");
    }
    const flags = {
      httpOnly: true,
      sameSite: "lax" as const,
      secure: options.secure,
      path: "/",
      maxAge: options.maxAge,
    };
    this.#current = createCookie(options.name, { ...flags, secrets: options.secrets.slice(0, 1) });
    this.#all = options.secrets.length > 1 ? createCookie(options.name, { ...flags, secrets: options.secrets }) : null;
    this.#maxAge = options.maxAge;
  }

  /** The cookie's name. */
  get name(): string {
    return this.#current.name;
  }

  /** The cookie's lifetime in seconds. */
  get maxAge(): number {
    return this.#maxAge;
  }

  /** Verifies and decodes the cookie in a `Cookie` header; null when it is absent, empty, tampered or malformed. */
  async parse(cookieHeader: string | null | undefined): Promise<ParsedCookie | null> {
    if (!cookieHeader) return null;
    const seen = this.#verified.get(cookieHeader);
    if (seen) {
      // Used again, so it becomes the newest: a browser that keeps coming back keeps its entry.
      this.#verified.delete(cookieHeader);
      this.#verified.set(cookieHeader, seen);
      return { value: JSON.parse(seen.json), stale: seen.stale };
    }
    const parsed = await this.#verify(cookieHeader);
    if (parsed && cookieHeader.length <= VERIFIED_MEMO_MAX_HEADER) {
      if (this.#verified.size >= VERIFIED_MEMO_ENTRIES) this.#verified.delete(this.#verified.keys().next().value!);
      this.#verified.set(cookieHeader, { json: JSON.stringify(parsed.value), stale: parsed.stale });
    }
    return parsed;
  }

  /**
   * A `Set-Cookie` value carrying `value`, signed with the current secret, that lasts `lifetime`
   * (null: the default `Max-Age`; "browser": no `Max-Age`, so the browser drops it when it closes).
   * `options` (Remix's serialize options from a hand-written commit) win over both.
   */
  serialize(value: unknown, lifetime: Lifetime | null = null, options?: CookieSerializeOptions): Promise<string> {
    const duration =
      lifetime === null
        ? {}
        : lifetime === "browser"
          ? { maxAge: undefined, expires: undefined }
          : { maxAge: lifetime };
    return this.#current.serialize(value, { ...duration, ...options });
  }

  /** A `Set-Cookie` value that makes the browser drop the cookie; `options` may name its Domain and Path. */
  clear(options?: CookieSerializeOptions): Promise<string> {
    return this.#current.serialize("", { ...options, maxAge: undefined, expires: new Date(0) });
  }

  /** The `Set-Cookie` value among a response's that sets this cookie, or null when none does. */
  findIn(setCookieHeaders: string[]): string | null {
    const prefix = `${this.name}=`;
    return setCookieHeaders.find((header) => header.trimStart().startsWith(prefix)) ?? null;
  }

  async #verify(cookieHeader: string): Promise<ParsedCookie | null> {
    try {
      const value = await this.#current.parse(cookieHeader);
      if (value !== null && value !== "") return { value, stale: false };
      if (value === "" || !this.#all) return null;
      const old = await this.#all.parse(cookieHeader);
      return old === null || old === "" ? null : { value: old, stale: true };
    } catch {
      // The cookie parser and decoders throw on some malformed input; a bad cookie is no cookie.
      return null;
    }
  }

  /** The verified value a `Set-Cookie` value of this cookie carries; null when cleared or not ours. */
  async valueOf(setCookie: string): Promise<unknown> {
    return (await this.parse(setCookie.split(";")[0]))?.value ?? null;
  }
}
