import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { Browser, setCookiesFor } from "../harness/browser";

import { copyApp, removeAppCopy } from "./support/app-copy";
import { AppProcess, runAppUntilExit } from "./support/app-process";
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

  it("answers /favicon.ico, and logs an unknown URL's 404 as one request line without a stack trace", async () => {
    const icon = await fetch(`${app.url}/favicon.ico`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get("Content-Type")).toMatch(/icon/);
    expect((await fetch(`${app.url}/no-such-page`)).status).toBe(404);
    expect((await fetch(`${app.url}/no-such-page?_data=root`)).status).toBe(404);
    await expect.poll(() => app.output).toContain("GET /no-such-page?_data=root 404");
    expect(app.output).toContain("GET /no-such-page 404");
    expect(app.output).not.toContain("No route matches");
    expect(app.output).not.toMatch(/^\s+at /m);
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

describe("starting without a production build", () => {
  let copy: string;
  beforeAll(() => {
    copy = copyApp();
  });
  afterAll(() => removeAppCopy(copy));

  /** One line, no stack trace, and it says what to run. */
  function expectRefusal(result: { code: number | null; output: string }, reason: RegExp) {
    expect(result.code).toBe(1);
    expect(result.output.trim().split("\n")).toEqual([expect.stringMatching(/^Cannot start: /)]);
    expect(result.output).toMatch(reason);
    expect(result.output).toContain("run `npm run build` first");
  }

  it("refuses when there is no build", async () => {
    expect(fs.existsSync(path.join(copy, "build"))).toBe(false);
    expectRefusal(await runAppUntilExit({}, 30_000, { cwd: copy }), /there is no server build \(build\/index\.js\)/);
  });

  it("refuses the development build `npm run dev` leaves behind, instead of answering every page with a 500", async () => {
    // What `remix dev` writes to build/: the same compiler in development mode.
    execFileSync(path.resolve("node_modules/.bin/remix"), ["build"], {
      cwd: copy,
      env: { ...process.env, NODE_ENV: "development" },
      stdio: "pipe",
    });
    expect(fs.readFileSync(path.join(copy, "build/index.js"), "utf8")).toContain("jsxDEV");
    expectRefusal(
      await runAppUntilExit({}, 30_000, { cwd: copy }),
      /build\/index\.js is a development build \(from `npm run dev`\), which cannot run in production/,
    );
  }, 120_000);
});
