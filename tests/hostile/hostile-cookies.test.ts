import { randomUUID } from "node:crypto";

import { createCookie } from "@remix-run/node";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { Browser } from "../../harness/browser";
import { startTestServer, TEST_SECRET, type TestServer } from "../support/server";

import { rawRequest, type RawResponse } from "./raw-http";

/**
 * Thousands of generated `Cookie` headers against the real server, per store: malformed syntax,
 * huge values, duplicated names, forged and retired signatures, other sessions' ids, bytes that are
 * not UTF-8, control characters and CR/LF. No answer may be a 5xx, and no answer may reveal or
 * change the victim's session, whose data holds a secret marker.
 */

const STORES = ["sqlite", "memory", "cookie"] as const;
// Requests per store for the printable-header property and for the raw-bytes property.
const HEADER_RUNS = Number(process.env.HOSTILE_COOKIE_RUNS ?? 1500);
const BYTE_RUNS = Math.ceil(HEADER_RUNS / 3);
// Node refuses request headers over 16 KB in total (431); stay below it with room for the rest.
const MAX_COOKIE_HEADER = 15_000;
const RETIRED_SECRETS = [
  "a-secret-that-signed-cookies-once-and-is-retired-now",
  `${TEST_SECRET}x`,
  TEST_SECRET.slice(1),
  TEST_SECRET.toUpperCase(),
];
const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** What the attacker knows or can make about the victim's cookie, without its secret. */
interface Ammunition {
  /** The signed part of the victim's cookie (base64 JSON of its id, or of its data for the cookie store). */
  victimPayload: string;
  /** The victim's real signature, to mutate. */
  victimSignature: string;
  /** The victim's value (id or data) signed with secrets the server does not list. */
  retiredSigned: string[];
  /** The attacker's own valid cookie value. */
  attackerCookie: string;
}

/** One hostile request: where it goes and the Cookie header it sends (latin1: one character per byte). */
interface HostileRequest {
  path: string;
  cookieHeader: string;
}

const latin1Char = fc
  .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }), fc.constant(0x09))
  .map((code) => String.fromCharCode(code));

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64").replace(/=+$/, "");

function cookieValue(ammo: Ammunition): fc.Arbitrary<string> {
  const junkPieces = fc.constantFrom(
    "%",
    "%zz",
    "%E0%A4%A",
    "%0D%0A",
    "%0d%0aSet-Cookie:%20evil=1",
    "%00",
    "%FF",
    "%C0%AF",
    "%ED%A0%80",
    "Set-Cookie:",
    " ",
    ";",
    "=",
    ",",
    '"',
    "\\",
    ".",
    "..",
    "=.=",
    "{",
    "}",
    "[",
    "\u00ff",
    "\u00c3\u0028",
  );
  const signature = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(b64);
  return fc.oneof(
    // The victim's payload with a made-up signature, a mutated real one, or none.
    { weight: 4, arbitrary: signature.map((sig) => `${ammo.victimPayload}.${sig}`) },
    {
      weight: 4,
      arbitrary: fc
        .tuple(fc.nat({ max: ammo.victimSignature.length - 1 }), fc.constantFrom(...BASE64))
        .filter(([at, char]) => ammo.victimSignature[at] !== char)
        .map(
          ([at, char]) =>
            `${ammo.victimPayload}.${ammo.victimSignature.slice(0, at)}${char}${ammo.victimSignature.slice(at + 1)}`,
        ),
    },
    { weight: 3, arbitrary: fc.constantFrom(...ammo.retiredSigned) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        ammo.victimPayload,
        `${ammo.victimPayload}.`,
        `.${ammo.victimSignature}`,
        `${ammo.victimPayload}.${ammo.victimSignature}.`,
        `${ammo.victimPayload}..${ammo.victimSignature}`,
        Buffer.from(ammo.victimPayload, "base64").toString("latin1"),
      ),
    },
    // Signed-looking values carrying JSON of every shape.
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.jsonValue({ maxDepth: 2 }), signature)
        .map(([value, sig]) => `${Buffer.from(JSON.stringify(value) ?? "null").toString("base64")}.${sig}`),
    },
    { weight: 2, arbitrary: fc.constant(ammo.attackerCookie) },
    { weight: 3, arbitrary: fc.string({ unit: latin1Char, maxLength: 80 }) },
    { weight: 2, arbitrary: fc.array(junkPieces, { maxLength: 12 }).map((parts) => parts.join("")) },
    // Huge values, alone or after a valid-looking prefix.
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.integer({ min: 4_000, max: 12_000 }),
          fc.constantFrom("A", "%", "=", "\u00ff", ".", "%41"),
          fc.boolean(),
        )
        .map(
          ([size, unit, prefixed]) =>
            (prefixed ? `${ammo.victimPayload}.` : "") + unit.repeat(Math.ceil(size / unit.length)),
        ),
    },
  );
}

function hostileRequest(ammo: Ammunition): fc.Arbitrary<HostileRequest> {
  const name = fc.oneof(
    { weight: 6, arbitrary: fc.constant("__session") },
    {
      weight: 2,
      arbitrary: fc.constantFrom(" __session", "__session ", "__SESSION", "session", "__proto__", "constructor", ""),
    },
    { weight: 1, arbitrary: fc.string({ unit: latin1Char, maxLength: 10 }) },
  );
  const pair = fc.oneof(
    { weight: 8, arbitrary: fc.tuple(name, cookieValue(ammo)).map(([n, v]) => `${n}=${v}`) },
    { weight: 1, arbitrary: cookieValue(ammo) },
  );
  const separator = fc.constantFrom("; ", ";", ", ", " ;", ";;", " ");
  const cookieHeader = fc
    .tuple(fc.array(pair, { minLength: 1, maxLength: 6 }), separator)
    .map(([pairs, sep]) => pairs.join(sep))
    .filter((header) => header.length <= MAX_COOKIE_HEADER);
  const path = fc.constantFrom("/lab/session", "/lab/session", "/lab/session", "/lab/mark/hostile", "/lab/flash");
  return fc.record({ path, cookieHeader });
}

describe.each(STORES)("hostile Cookie headers, %s store", (store) => {
  let server: TestServer;
  let marker: string;
  let victim: Browser;
  let victimData: Record<string, unknown>;
  let ammo: Ammunition;

  /** Everything a hostile request's answer must never do. */
  async function expectHarmless(response: RawResponse, what: string) {
    expect(response.status, what).toBeLessThan(500);
    expect(response.body.includes(marker), `${what} revealed the victim's data`).toBe(false);
    expect(response.headers.has("x-injected"), what).toBe(false);
    for (const header of response.headers.get("set-cookie") ?? []) {
      const [pair] = header.split(";");
      expect(pair.startsWith("__session="), `${what} set another cookie: ${header}`).toBe(true);
      // Whatever session the answer hands out must not be the victim's.
      const session = await server.sessionStorage.getSession(pair);
      expect(JSON.stringify(session.data).includes(marker), `${what} handed out the victim's session`).toBe(false);
    }
  }

  beforeAll(async () => {
    server = await startTestServer({ env: { SESSION_STORE: store } });
    marker = `victim-${randomUUID()}`;
    victim = new Browser(server.url);
    expect((await victim.fetch(`/lab/mark/${marker}`)).status).toBe(200);
    victimData = await victim.sessionData();
    expect(Object.keys(victimData)).toEqual([`mark:${marker}`]);

    const attacker = new Browser(server.url);
    expect((await attacker.fetch("/lab/mark/attacker")).status).toBe(200);

    const signed = decodeURIComponent(victim.cookie("__session")!);
    const dot = signed.lastIndexOf(".");
    const victimPayload = signed.slice(0, dot);
    const victimValue = JSON.parse(Buffer.from(victimPayload, "base64").toString("utf8"));
    const retiredSigned = await Promise.all(
      RETIRED_SECRETS.map(async (secret) => {
        const header = await createCookie("__session", { secrets: [secret] }).serialize(victimValue);
        return decodeURIComponent(header.split(";")[0].slice("__session=".length));
      }),
    );
    ammo = {
      victimPayload,
      victimSignature: signed.slice(dot + 1),
      retiredSigned,
      attackerCookie: decodeURIComponent(attacker.cookie("__session")!),
    };
  });

  afterAll(async () => {
    await server?.close();
  });

  it(`answers ${HEADER_RUNS} generated hostile Cookie headers without a 5xx or a leak`, async () => {
    await fc.assert(
      fc.asyncProperty(hostileRequest(ammo), async ({ path, cookieHeader }) => {
        const response = await rawRequest(server.url, { path, cookieHeader });
        await expectHarmless(response, `GET ${path}`);
      }),
      { numRuns: HEADER_RUNS },
    );
    // Requests that wrote (/lab/mark/hostile) wrote into fresh sessions, never into the victim's.
    expect(await victim.sessionData()).toEqual(victimData);
  });

  it(`answers ${BYTE_RUNS} Cookie headers of arbitrary bytes (control characters, CR/LF, not UTF-8)`, async () => {
    const bytes = fc
      .tuple(fc.constantFrom("", "__session=", `__session=${ammo.victimPayload}.`), fc.uint8Array({ maxLength: 200 }))
      .map(([prefix, tail]) => Buffer.concat([Buffer.from(prefix, "latin1"), Buffer.from(tail)]));
    await fc.assert(
      fc.asyncProperty(bytes, async (cookieHeader) => {
        const response = await rawRequest(server.url, { path: "/lab/session", cookieHeader });
        await expectHarmless(response, `bytes ${cookieHeader.toString("hex")}`);
      }),
      { numRuns: BYTE_RUNS },
    );
    expect(await victim.sessionData()).toEqual(victimData);
  });

  it("refuses CR/LF header injection, NUL and obsolete line folding without a 5xx", async () => {
    const forged = `__session=${ammo.victimPayload}.${ammo.victimSignature.slice(1)}A`;
    const cases: Array<[string, string]> = [
      ["CRLF then a header", `${forged}\r\nX-Injected: yes`],
      ["CRLF then a second Cookie", `__session=${ammo.attackerCookie}\r\nCookie: ${forged}`],
      ["bare CR", `${forged}\rX-Injected: yes`],
      ["bare LF", `${forged}\nX-Injected: yes`],
      ["NUL", `__session=\0${ammo.victimPayload}`],
      ["obs-fold", `${forged}\r\n X-Injected: yes`],
      ["percent-encoded CRLF", "__session=%0D%0ASet-Cookie:%20x=1%0D%0AX-Injected:%20yes"],
      ["DEL", `__session=\x7f${ammo.victimPayload}`],
      ["non-UTF-8 bytes", "__session=\xff\xfe\xc3\x28\xc0\xaf\xed\xa0\x80"],
    ];
    for (const [what, cookieHeader] of cases) {
      const response = await rawRequest(server.url, { path: "/lab/session", cookieHeader });
      await expectHarmless(response, what);
    }
    expect(await victim.sessionData()).toEqual(victimData);
  });

  it("answers a Cookie header over Node's 16 KB limit with 431, not a 5xx", async () => {
    const response = await rawRequest(server.url, {
      path: "/lab/session",
      cookieHeader: `__session=${"A".repeat(17_000)}`,
    });
    expect(response.status).toBe(431);
    // The server is still up and the victim still signed in.
    expect(await victim.sessionData()).toEqual(victimData);
  });
});
