import { expect, request, test, type BrowserContext } from "@playwright/test";

/** The session cookie's `name=value`, or null when the browser holds none. */
async function sessionCookie(context: BrowserContext): Promise<string | null> {
  const cookie = (await context.cookies()).find(({ name }) => name.endsWith("session"));
  return cookie ? `${cookie.name}=${cookie.value}` : null;
}

/** What `/lab/session` answers for a request that carries `cookie` and nothing else. */
async function sessionDataWith(baseURL: string, cookie: string): Promise<Record<string, unknown>> {
  const api = await request.newContext({ baseURL, extraHTTPHeaders: { Cookie: cookie } });
  try {
    return await (await api.get("/lab/session")).json();
  } finally {
    await api.dispose();
  }
}

test("20 parallel fetcher writes to one session keep 20 of 20", async ({ page }) => {
  await page.goto("/");
  await page.getByRole("button", { name: "Write 20 keys" }).click();
  await expect(page.getByTestId("kept")).toHaveText("Kept 20 of 20");

  // The store agrees with the page: every fetcher's key is in the session.
  const data = await (await page.request.get("/lab/session")).json();
  const run = Object.keys(data)
    .find((key) => /^mark:.+-\d+$/.test(key))!
    .replace(/^mark:(.+)-\d+$/, "$1");
  expect(Object.keys(data).filter((key) => key.startsWith(`mark:${run}-`))).toHaveLength(20);
});

test("a flash shows once", async ({ page }) => {
  await page.goto("/");
  await page.getByRole("button", { name: "Save and say so once" }).click();
  await expect(page.getByTestId("notice")).toHaveText("Saved. This notice shows once.");
  await page.reload();
  await expect(page.getByTestId("visits")).toBeVisible();
  await expect(page.getByTestId("notice")).toHaveCount(0);
});

test("sign-in moves the session to a new id; sign-out clears it", async ({ page, context, baseURL }) => {
  await page.goto("/");
  await page.goto("/lab/mark/before-sign-in");
  const before = await sessionCookie(context);
  expect(before).not.toBeNull();

  await page.goto("/login");
  await page.getByLabel("Name").fill("Ada");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("user")).toHaveText("Signed in as Ada");
  const signedIn = await sessionCookie(context);
  expect(signedIn).not.toBeNull();
  expect(signedIn).not.toBe(before);
  // The old id names nothing any more; what it held moved with the session.
  expect(await sessionDataWith(baseURL!, before!)).toEqual({});
  expect(await sessionDataWith(baseURL!, signedIn!)).toHaveProperty("mark:before-sign-in");

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
  const after = await sessionCookie(context);
  expect(after === null || after !== signedIn).toBe(true);
  expect(await sessionDataWith(baseURL!, signedIn!)).toEqual({});
});

test("an unchanged request sends no Set-Cookie", async ({ page, context, baseURL }) => {
  // No session yet, and reading creates none.
  const fresh = await request.newContext({ baseURL });
  const untouched = await fresh.get("/lab/session");
  expect(untouched.status()).toBe(200);
  expect(untouched.headers()["set-cookie"]).toBeUndefined();
  await fresh.dispose();

  // A session that exists: reading it sends no cookie, and neither does a write that keeps its id.
  await page.goto("/lab/mark/exists");
  const cookie = (await sessionCookie(context))!;
  const api = await request.newContext({ baseURL, extraHTTPHeaders: { Cookie: cookie } });
  const read = await api.get("/lab/session");
  expect(await read.json()).toHaveProperty("mark:exists");
  expect(read.headers()["set-cookie"]).toBeUndefined();
  expect((await api.get("/lab/mark/again")).headers()["set-cookie"]).toBeUndefined();
  await api.dispose();
});
