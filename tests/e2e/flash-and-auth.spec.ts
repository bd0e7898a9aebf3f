import { expect, test } from "@playwright/test";

import { requestsPath } from "./data-requests";
import { sessionCookie, sessionCookieName, sessionData } from "./session";

test("the preferences flash shows exactly once", async ({ page }) => {
  await page.goto("/preferences");
  await page.getByLabel("dark").check();
  await page.getByLabel("compact").check();
  await page.getByRole("button", { name: "Save preferences" }).click();
  await expect(page.getByTestId("notice")).toHaveText("Preferences saved.");
  await expect(page.locator("html")).toHaveClass("dark");

  await page.reload();
  await expect(page.getByRole("heading", { name: "Preferences" })).toBeVisible();
  await expect(page.getByTestId("notice")).toHaveCount(0);
  await page.getByRole("link", { name: "Library" }).click();
  await expect(page.getByTestId("notice")).toHaveCount(0);
  expect(await sessionData(page)).toMatchObject({ theme: "dark", density: "compact" });
});

test("sign in moves the session to a new id and sign out clears it", async ({ page, context }) => {
  await page.goto("/");
  const anonymous = await sessionCookie(context);
  expect(anonymous).toBeTruthy();

  await page.getByRole("link", { name: "Sign in", exact: true }).click();
  await page.getByLabel("Name").fill("Ada");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("user")).toHaveText("Signed in as Ada");
  await expect(page.getByTestId("notice")).toHaveText("Signed in as Ada.");
  const signedIn = await sessionCookie(context);
  expect(signedIn).toBeTruthy();
  expect(signedIn).not.toBe(anonymous);

  const logout = page.waitForResponse((response) => requestsPath(response.url(), "/logout"));
  await page.getByRole("button", { name: "Sign out" }).click();
  const cleared = (await (await logout).headerValue("set-cookie")) ?? "";
  expect(cleared.startsWith(`${sessionCookieName()}=;`), cleared).toBe(true);
  expect(cleared).toMatch(/Expires=Thu, 01 Jan 1970/);
  await expect(page.getByRole("link", { name: "Sign in", exact: true })).toBeVisible();
  expect(await sessionCookie(context)).not.toBe(signedIn);
  expect(await sessionData(page)).not.toHaveProperty("user");
});
