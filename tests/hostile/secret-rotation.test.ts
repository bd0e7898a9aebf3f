import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { createCookie } from "@remix-run/node";
import { afterAll, afterEach, describe, expect, it } from "vitest";

import { startTestServer, type TestServer } from "../support/server";

/**
 * SESSION_SECRET="new,old": the first secret signs, every one verifies. A cookie signed with the old
 * secret keeps its session and comes back re-signed with the new one; once "old" is dropped from the
 * list, cookies it signed are worth nothing.
 */

const OLD = "old-secret-old-secret-old-secret-old-secret";
const NEW = "new-secret-new-secret-new-secret-new-secret";

/** The `name=value` pair of the response's session cookie, or null when it sets none. */
function sessionCookie(response: Response): string | null {
  const header = response.headers.getSetCookie().find((value) => value.startsWith("__session="));
  return header ? header.split(";")[0] : null;
}

/** Whether `pair` carries a cookie signed with `secret` (verified by Remix's own cookie, not ours). */
async function signedWith(pair: string, secret: string): Promise<boolean> {
  return (await createCookie("__session", { secrets: [secret] }).parse(pair)) !== null;
}

describe.each(["sqlite", "cookie"] as const)("secret rotation, %s store", (store) => {
  const servers: TestServer[] = [];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rotation-"));

  async function serve(secrets: string) {
    const server = await startTestServer({ env: { SESSION_STORE: store, SESSION_SECRET: secrets, DATA_DIR: dataDir } });
    servers.push(server);
    return {
      get: (route: string, cookie?: string) =>
        fetch(new URL(route, server.url), { headers: cookie ? { Cookie: cookie } : {} }),
      close: () => {
        servers.splice(servers.indexOf(server), 1);
        return server.close();
      },
    };
  }

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it("keeps a session signed with a listed older secret, re-signs it, and drops it once the secret is retired", async () => {
    // Before the rotation: "old" is the only secret.
    const before = await serve(OLD);
    const first = await before.get("/lab/mark/before");
    const oldCookie = sessionCookie(first)!;
    expect(await signedWith(oldCookie, OLD)).toBe(true);
    await before.close();

    // During the rotation: "new" signs, "old" still verifies.
    const during = await serve(`${NEW},${OLD}`);
    const read = await during.get("/lab/session", oldCookie);
    expect(read.status).toBe(200);
    expect(Object.keys(await read.json())).toEqual(["mark:before"]);
    const resigned = sessionCookie(read);
    expect(resigned, "a read with an old-secret cookie re-signs it").not.toBeNull();
    expect(await signedWith(resigned!, NEW)).toBe(true);
    expect(await signedWith(resigned!, OLD)).toBe(false);

    // A write through the old cookie lands in the same session.
    const write = await during.get("/lab/mark/during", oldCookie);
    expect(write.status).toBe(200);
    expect(await signedWith(sessionCookie(write)!, NEW)).toBe(true);
    const afterWrite = sessionCookie(write)!;
    expect(Object.keys(await (await during.get("/lab/session", afterWrite)).json()).sort()).toEqual([
      "mark:before",
      "mark:during",
    ]);

    // A cookie already signed with "new" is not re-signed on a read: nothing to send.
    const fresh = await during.get("/lab/session", afterWrite);
    expect(sessionCookie(fresh)).toBeNull();
    await during.close();

    // After the rotation: "old" is gone from the list.
    const after = await serve(NEW);
    const kept = await after.get("/lab/session", afterWrite);
    expect(Object.keys(await kept.json()).sort()).toEqual(["mark:before", "mark:during"]);
    const refused = await after.get("/lab/session", oldCookie);
    expect(refused.status).toBe(200);
    expect(await refused.json(), "a cookie signed with a retired secret is no session").toEqual({});
  });
});
