import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { Browser } from "../../harness/browser";
import { startTestServer, type TestServer } from "../support/server";

/**
 * The merge rules over real HTTP: generated batches of requests of one browser sent all at once
 * (marks, flashes set and read, plain reads). Every acknowledged mark is kept, nothing else appears,
 * and a flash that any request showed is never shown again.
 */

const RUNS = Number(process.env.MERGE_HTTP_RUNS ?? 60);

type Action = { kind: "mark"; key: string } | { kind: "flash" } | { kind: "readFlash" } | { kind: "read" };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant("mark" as const), key: fc.constantFrom("k0", "k1", "k2", "k3") }),
  fc.constant({ kind: "flash" as const }),
  fc.constant({ kind: "readFlash" as const }),
  fc.constant({ kind: "read" as const }),
);
const batchArb = fc.record({
  initialFlash: fc.boolean(),
  actions: fc.array(actionArb, { minLength: 2, maxLength: 8 }),
});

describe.each(["memory", "sqlite"] as const)("merge rules over HTTP, %s store", (store) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { SESSION_STORE: store } });
  });
  afterAll(() => server?.close());

  it(`keeps every write and consumes each flash once in ${RUNS} generated concurrent batches`, async () => {
    await fc.assert(
      fc.asyncProperty(batchArb, async ({ initialFlash, actions }) => {
        const browser = new Browser(server.url);
        expect((await browser.fetch("/lab/mark/init")).status).toBe(200);
        if (initialFlash) {
          const posted = await browser.fetch("/lab/flash", {
            method: "POST",
            body: new URLSearchParams({ notice: "initial" }),
          });
          expect(posted.status).toBe(200);
        }
        const headers = { Cookie: browser.cookieHeader, Origin: server.url };

        // All at once, with the same cookie: each request reads the session before any commits.
        const answers = await Promise.all(
          actions.map(async (action, i) => {
            const url = new URL(server.url);
            let init: RequestInit = { headers };
            if (action.kind === "mark") url.pathname = `/lab/mark/${action.key}`;
            else if (action.kind === "read") url.pathname = "/lab/session";
            else url.pathname = "/lab/flash";
            if (action.kind === "flash")
              init = { method: "POST", headers, body: new URLSearchParams({ notice: `t${i}` }) };
            const response = await fetch(url, init);
            expect(response.status, `${action.kind} #${i}`).toBe(200);
            return { action, body: (await response.json()) as { notice?: string | null } };
          }),
        );

        const data = await browser.sessionData();
        const marked = new Set(["init", ...actions.flatMap((a) => (a.kind === "mark" ? [a.key] : []))]);
        const markKeys = Object.keys(data).filter((key) => key.startsWith("mark:"));
        expect(markKeys.sort(), "every acknowledged mark is kept, and only those").toEqual(
          [...marked].map((k) => `mark:${k}`).sort(),
        );

        const posted = new Set(actions.flatMap((a, i) => (a.kind === "flash" ? [`t${i}`] : [])));
        const shown = answers.flatMap(({ action, body }) =>
          action.kind === "readFlash" && typeof body.notice === "string" ? [body.notice] : [],
        );
        for (const notice of shown) {
          expect(
            notice === "initial" ? initialFlash : posted.has(notice),
            `a request showed a flash nobody set: ${notice}`,
          ).toBe(true);
        }
        const left = data.__flash_notice__ as string | undefined;
        if (left !== undefined) {
          expect(shown, "a flash that was shown is not kept").not.toContain(left);
          expect(left === "initial" || posted.has(left)).toBe(true);
        } else if (initialFlash && posted.size === 0) {
          expect(shown, "the initial flash went only because a request showed it").toContain("initial");
        }
        // Whatever is left is shown once, then never again.
        const readNotice = async () =>
          ((await (await browser.fetch("/lab/flash")).json()) as { notice: string | null }).notice;
        expect(await readNotice()).toBe(left ?? null);
        expect(await readNotice()).toBeNull();
      }),
      { numRuns: RUNS },
    );
  });
});
