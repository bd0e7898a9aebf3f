import { expect, test, type BrowserContext, type Cookie, type Page } from "@playwright/test";

/**
 * "Keep me signed in" on the login page. Unticked, the session cookie has no Max-Age/Expires, so
 * the browser drops it when it closes (Playwright reports `expires: -1`); ticked, it lasts 30 days.
 * Either way the session, and the cookie's kind, survive a reload and a navigation, although the
 * root loader writes the session (and so re-sends the cookie) on every page.
 */

const THIRTY_DAYS = 30 * 24 * 60 * 60;

/** The session cookie: `__Host-session` in production, `__session` elsewhere. */
async function sessionCookieOf(context: BrowserContext): Promise<Cookie> {
  const cookies = (await context.cookies()).filter((cookie) => cookie.name.endsWith("session"));
  expect(
    cookies.map((cookie) => cookie.name),
    "exactly one session cookie",
  ).toHaveLength(1);
  return cookies[0];
}

async function signIn(page: Page, name: string, remember: boolean) {
  await page.goto("/login");
  await page.getByLabel("Name").fill(name);
  const box = page.getByLabel("Keep me signed in");
  await (remember ? box.check() : box.uncheck());
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("user")).toHaveText(`Signed in as ${name}`);
}

/** Checks the cookie's kind: a browser-session cookie, or one expiring about 30 days from now. */
function expectLifetime(cookie: Cookie, remember: boolean) {
  if (remember) {
    const expected = Date.now() / 1000 + THIRTY_DAYS;
    expect(Math.abs(cookie.expires - expected), `expires ${cookie.expires}, wanted about ${expected}`).toBeLessThan(60);
  } else {
    expect(cookie.expires).toBe(-1);
  }
}

for (const remember of [false, true]) {
  const label = remember
    ? "ticked: a cookie that lasts 30 days"
    : "unticked: a cookie that lasts as long as the browser";

  test(`keep me signed in ${label}, kept across a reload and a navigation`, async ({ page, context }) => {
    const name = remember ? "Remembered" : "Visitor";
    await signIn(page, name, remember);
    const signedIn = await sessionCookieOf(context);
    expectLifetime(signedIn, remember);
    expect(signedIn.httpOnly).toBe(true);
    expect(signedIn.sameSite).toBe("Lax");

    await page.reload();
    await expect(page.getByTestId("user")).toHaveText(`Signed in as ${name}`);
    const afterReload = await sessionCookieOf(context);
    expect(afterReload.value).toBe(signedIn.value);
    expectLifetime(afterReload, remember);

    // A client-side navigation (fetch requests) and a document navigation.
    await page.getByRole("link", { name: "Library" }).first().click();
    await expect(page).toHaveURL(/\/library$/);
    await expect(page.getByTestId("user")).toHaveText(`Signed in as ${name}`);
    await page.goto("/preferences");
    await expect(page.getByRole("heading", { name: "Preferences" })).toBeVisible();
    await expect(page.getByTestId("user")).toHaveText(`Signed in as ${name}`);
    const afterNavigation = await sessionCookieOf(context);
    expect(afterNavigation.value).toBe(signedIn.value);
    expectLifetime(afterNavigation, remember);

    const data = (await (await page.request.get("/lab/session")).json()) as Record<string, unknown>;
    expect(data).toMatchObject({ user: { name } });
  });
}
