import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { AppProcess, runAppUntilExit } from "./support/app-process";
import { Browser, setCookiesFor } from "./support/browser";
import { TEST_SECRET } from "./support/server";

describe("the production server (npm start)", () => {
  let app: AppProcess;
  beforeAll(async () => {
    app = await AppProcess.start({ SESSION_STORE: "sqlite" });
  });
  afterAll(async () => {
    if (app.running) await app.stop();
  });

  it("names the session cookie __Host-session and marks it Secure, HttpOnly, Path=/ and without Domain", async () => {
    const response = await new Browser(app.url).fetch("/lab/mark/secure");
    expect(setCookiesFor(response, "__session")).toEqual([]);
    const [cookie, ...others] = setCookiesFor(response, "__Host-session");
    expect(others).toEqual([]);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    // What browsers require of a __Host- cookie, or they drop it.
    expect(cookie).toMatch(/; Path=\/(;|$)/);
    expect(cookie).not.toMatch(/; Domain=/i);
  });

  it("caches fingerprinted build assets for a year and public files for an hour, without x-powered-by", async () => {
    const page = await (await fetch(`${app.url}/library`)).text();
    const asset = /href="(\/build\/_assets\/[^"]+\.css)"/.exec(page)?.[1];
    expect(asset).toBeTruthy();
    const built = await fetch(`${app.url}${asset}`);
    expect(built.headers.get("Cache-Control")).toBe("public, max-age=31536000, immutable");
    const icon = await fetch(`${app.url}/favicon.svg`);
    expect(icon.headers.get("Cache-Control")).toBe("public, max-age=3600");
    expect(icon.headers.get("X-Powered-By")).toBeNull();
  });

  it("compresses responses", async () => {
    const response = await fetch(`${app.url}/library`, { headers: { "Accept-Encoding": "gzip" } });
    expect(response.headers.get("Content-Encoding")).toBe("gzip");
  });

  it("logs requests without cookies or session ids", async () => {
    const browser = new Browser(app.url);
    await browser.fetch("/lab/mark/logged");
    const cookie = browser.cookie("__Host-session")!;
    expect(cookie).toBeTruthy();
    await browser.fetch("/lab/session");
    await expect.poll(() => app.output).toContain("GET /lab/session 200");
    expect(app.output).not.toContain(cookie);
    expect(app.output).not.toContain(decodeURIComponent(cookie));
  });

  it("closes the server and the store on SIGTERM and exits cleanly", async () => {
    expect(await app.stop()).toBe(0);
    expect(app.output).toContain("SIGTERM: closing the server and the session store");
  });
});

describe("starting without a secret", () => {
  it("refuses in production and says what to set", async () => {
    const result = await runAppUntilExit({ SESSION_SECRET: "" });
    expect(result.code).toBe(1);
    expect(result.output).toContain("SESSION_SECRET is not set");
    expect(result.output).toContain("set SESSION_SECRET to a long random string");
  });

  it("refuses an older secret under 32 characters, naming it by position, never printing it", async () => {
    const result = await runAppUntilExit({ SESSION_SECRET: `${TEST_SECRET},k` });
    expect(result.code).toBe(1);
    expect(result.output).toContain("Cannot start: SESSION_SECRET: secret 2 of 2 is shorter than 32 characters.");
    expect(result.output).not.toContain(",k");
  });
});
