import { test, type BrowserContext, type Page } from "@playwright/test";

/**
 * The session cookie's name on the server this project runs against, from the project's
 * `metadata.cookieName`: `__Host-session` for the production Express server, `__session` for the
 * Pages builds, which the browser suite runs with ENVIRONMENT=test.
 */
export function sessionCookieName(): string {
  const name = test.info().project.metadata.cookieName;
  if (typeof name !== "string") throw new Error("This Playwright project sets no metadata.cookieName");
  return name;
}

/** The session cookie's value in a browser context, or undefined. */
export async function sessionCookie(context: BrowserContext): Promise<string | undefined> {
  const name = sessionCookieName();
  return (await context.cookies()).find((cookie) => cookie.name === name)?.value;
}

/** The session's data, read with the page's cookies from `/lab/session`. */
export async function sessionData(page: Page): Promise<Record<string, unknown>> {
  return (await page.request.get("/lab/session")).json();
}
