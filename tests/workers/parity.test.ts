import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

import { startWorkersLocal, type WorkersLocal } from "../../harness/workers-local";
import { runScript } from "../support/parity-script";
import { startTestServer, TEST_SECRET, type TestServer } from "../support/server";

// The built Worker (wrangler dev, workerd) against the Express server, one browser script on each.
describe.each([
  { express: "sqlite", workers: "durable-object" },
  { express: "cookie", workers: "cookie" },
] as const)("the Worker ($workers store) answers like Express ($express store)", ({ express, workers }) => {
  let server: TestServer;
  let worker: WorkersLocal;
  beforeAll(async () => {
    // Same secret, same mode (test: no Secure flag on either side), same store family.
    [server, worker] = await Promise.all([
      startTestServer({ env: { SESSION_STORE: express } }),
      startWorkersLocal({
        build: inject("cloudflareBuilds").workers,
        bindings: { SESSION_STORE: workers, SESSION_SECRET: TEST_SECRET, ENVIRONMENT: "test" },
      }),
    ]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([server?.close(), worker?.close()]);
  });

  it("gives the same statuses, session cookies, caching headers and JSON for the same browser script", async () => {
    const onExpress = await runScript(server.url);
    const onWorker = await runScript(worker.url);
    expect(onWorker).toEqual(onExpress);
    // The script does exercise the rules: cookies set, cleared and withheld.
    const cookies = onExpress.map((step) => step.cookies.join());
    expect(cookies.some((cookie) => cookie.includes("Max-Age="))).toBe(true);
    expect(cookies.some((cookie) => cookie.includes("Expires=Thu, 01 Jan 1970"))).toBe(true);
    expect(cookies.filter((cookie) => cookie === "").length).toBeGreaterThan(5);
  });
});
