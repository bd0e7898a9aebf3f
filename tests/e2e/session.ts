import type { BrowserContext, Page } from "@playwright/test";

/** The session cookie's value in a browser context, or undefined. */
export async function sessionCookie(context: BrowserContext): Promise<string | undefined> {
  return (await context.cookies()).find((cookie) => cookie.name === "__session")?.value;
}

/** The session's data, read with the page's cookies from `/lab/session`. */
export async function sessionData(page: Page): Promise<Record<string, unknown>> {
  return (await page.request.get("/lab/session")).json();
}
