import { createCookieSessionStorage, type SessionStorage } from "@remix-run/node";

import { WRITERS, type LabContext, type Room } from "./lab-context";

/**
 * Answers 404, as for a URL no route matches, unless LAB_ROUTES is on. Every `/lab` loader and
 * action calls this first (tests/lab-routes.test.ts checks each one): off, they must neither show
 * the session nor write it.
 */
export function requireLab(context: { lab?: LabContext | null }): LabContext {
  if (!context.lab) throw new Response("Not Found", { status: 404, statusText: "Not Found" });
  return context.lab;
}

/** The start of a session id, enough to see it change at sign in; the whole id never goes to a page. */
export function shortSessionId(id: string): string | null {
  return id ? `${id.slice(0, 6)}…` : null;
}

/** Whether a URL path belongs to the lab. */
export function isLabPath(pathname: string): boolean {
  return pathname === "/lab" || pathname.startsWith("/lab/");
}

/** A key the lab's endpoints accept: 1 to 200 characters, as `/lab/mark/:key` takes. */
export function labKeyOf(value: string | null | undefined): string | null {
  return typeof value === "string" && value.length > 0 && value.length <= 200 ? value : null;
}

/** The run a writer's key (`<run>-<n>`) belongs to. */
export function runOf(key: string): string {
  const dash = key.lastIndexOf("-");
  return dash > 0 ? key.slice(0, dash) : key;
}

/** A server timestamp for the lab's timeline, in milliseconds with a fraction where the clock has one. */
export function labClock(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 10) / 10;
}

const encoder = new TextEncoder();
/** Bytes budgeted for what the app's own pages still add (visit counter, flash, user). */
const HEADROOM = 512;

export function roomOf(data: Record<string, unknown>, lab: LabContext): Room {
  const bytes = encoder.encode(JSON.stringify(data)).byteLength;
  // The merge side's keys look like "mark:k3x9qa-20":"2026-11-29T10:00:00.000Z", plus a comma.
  const perRun = WRITERS * (JSON.stringify(`mark:${"x".repeat(6)}-${WRITERS}`).length + 27);
  return {
    bytes,
    limit: lab.sessionLimitBytes,
    perRun,
    runsLeft: Math.max(0, Math.floor((lab.sessionLimitBytes - HEADROOM - bytes) / perRun)),
    labKeys: Object.keys(data).filter((key) => key.startsWith("mark:")).length,
    store: lab.store,
    merges: lab.merges,
  };
}

let scratch: SessionStorage<Record<string, string>> | undefined;

/**
 * The whole-session side's scratch session: Remix's own cookie session storage, which commits the
 * entire session in every response, under a cookie of its own so the real session is untouched.
 */
export function scratchStorage(): SessionStorage<Record<string, string>> {
  // Made on first use: workerd allows random values only while it handles a request. The secret
  // lives as long as the process (or isolate); a scratch cookie it cannot verify opens empty.
  scratch ??= createCookieSessionStorage<Record<string, string>>({
    cookie: {
      name: "lab-whole",
      path: "/lab",
      httpOnly: true,
      sameSite: "lax",
      secrets: [Array.from(crypto.getRandomValues(new Uint8Array(24)), (byte) => byte.toString(16)).join("")],
    },
  });
  return scratch;
}

/** The keys of `run` a scratch session holds. */
export function scratchKeys(data: Record<string, unknown>, run: string): string[] {
  return data.run === run ? Object.keys(data).filter((key) => key.startsWith(`${run}-`)) : [];
}

/** Lab answers change the session or carry a scratch cookie: never cached. */
export const NO_STORE = { "Cache-Control": "no-store" };
