import http from "node:http";
import type { AddressInfo } from "node:net";

import { expect, test } from "@playwright/test";

import { actionDataUrl, requestsPath } from "./data-requests";
import { sessionCookieName, sessionData } from "./session";

/**
 * CSRF in a real browser. A page on another site (localhost, while the app is on 127.0.0.1) posts
 * to the app with a form and with fetch. The session cookie is SameSite=Lax, so Chromium sends it
 * with neither: the posts reach the app without the victim's session and change nothing. Controls:
 * a plain link from that site (a top-level GET, which Lax allows) does carry the cookie, and the
 * same fetch from the app's own page changes the session.
 */

let attacker: http.Server;
let attackerOrigin: string;

test.beforeAll(async ({ baseURL }) => {
  const target = `${baseURL}/preferences`;
  attacker = http.createServer((req, res) => {
    res.setHeader("Content-Type", "text/html; charset=utf-8");
    if (req.url === "/link") {
      res.end(`<!DOCTYPE html><a href="${baseURL}/lab/session">the app</a>`);
    } else if (req.url === "/form") {
      res.end(`<!DOCTYPE html><form method="post" action="${target}">
        <input name="theme" value="dark"><input name="density" value="compact"></form>
        <script>document.forms[0].submit()</script>`);
    } else {
      res.end(`<!DOCTYPE html><script>
        fetch(${JSON.stringify(`${baseURL}${actionDataUrl("/preferences", "routes/preferences")}`)}, {
          method: "POST", mode: "no-cors", credentials: "include",
          body: new URLSearchParams({ theme: "dark", density: "compact" }),
        }).finally(() => { document.title = "sent"; });
      </script>`);
    }
  });
  await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
  attackerOrigin = `http://localhost:${(attacker.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  await new Promise((resolve) => attacker.close(resolve));
});

test("posts from another site carry no session cookie and change nothing", async ({ page, baseURL }) => {
  await page.goto("/lab/mark/cross-site");
  const before = await sessionData(page);
  expect(before).toHaveProperty("mark:cross-site");
  expect(before).not.toHaveProperty("theme");

  /** The Cookie header of the next request the page sends to `pathname` on the app. */
  const cookieSentTo = async (pathname: string, action: () => Promise<unknown>) => {
    const sent = page.waitForRequest(
      (request) => request.url().startsWith(baseURL!) && requestsPath(request.url(), pathname),
    );
    await action();
    return (await (await sent).allHeaders()).cookie;
  };

  // fetch() from the other site: Remix does not check Origin on data requests; the cookie stays home.
  const byFetch = await cookieSentTo("/preferences", async () => {
    await page.goto(`${attackerOrigin}/fetch`);
    await expect(page).toHaveTitle("sent");
  });
  expect(byFetch).toBeUndefined();
  expect(await sessionData(page)).toEqual(before);

  // A form the other site submits: a top-level cross-site POST, which Lax cookies do not follow.
  const byForm = await cookieSentTo("/preferences", () => page.goto(`${attackerOrigin}/form`));
  expect(byForm).toBeUndefined();
  expect(await sessionData(page)).toEqual(before);

  // Control: a link from the other site is a top-level GET, which Lax cookies do follow.
  await page.goto(`${attackerOrigin}/link`);
  const byLink = await cookieSentTo("/lab/session", () => page.getByRole("link", { name: "the app" }).click());
  expect(byLink).toContain(`${sessionCookieName()}=`);

  // Control: the very same fetch from the app's own page carries the cookie and changes the session.
  await page.goto("/lab");
  const status = await page.evaluate(
    async (url) => {
      const response = await fetch(url, {
        method: "POST",
        body: new URLSearchParams({ theme: "dark", density: "compact" }),
      });
      return response.status;
    },
    actionDataUrl("/preferences", "routes/preferences"),
  );
  expect(status).toBeLessThan(400);
  expect(await sessionData(page)).toMatchObject({ theme: "dark", density: "compact" });
});
