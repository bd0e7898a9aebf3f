import { expect, test } from "@playwright/test";

import { sessionCookie, sessionData } from "./session";

test.use({ javaScriptEnabled: false });

test("navigation, forms, the flash and sign in/out work without JavaScript", async ({ page, context }) => {
  await page.goto("/");
  await expect(page.getByTestId("visits")).toHaveText("1 visit");

  await page.getByRole("link", { name: "Library" }).first().click();
  await page.getByRole("link", { name: "Poetry" }).click();
  await expect(page.getByTestId("shelf-loads")).toHaveText("Shelf loader ran 1 time");
  await page.getByRole("link", { name: "Science" }).click();
  await expect(page.getByTestId("shelf-loads")).toHaveText("Shelf loader ran 2 times");
  await expect(page.getByTestId("visits")).toHaveText("4 visits");

  await page.goto("/preferences");
  await page.getByLabel("dark").check();
  await page.getByRole("button", { name: "Save preferences" }).click();
  await expect(page.getByTestId("notice")).toHaveText("Preferences saved.");
  await page.reload();
  await expect(page.getByTestId("notice")).toHaveCount(0);

  const before = await sessionCookie(context);
  await page.goto("/login");
  await page.getByLabel("Name").fill("Grace");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("user")).toHaveText("Signed in as Grace");
  const signedIn = await sessionCookie(context);
  expect(signedIn).not.toBe(before);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("link", { name: "Sign in", exact: true })).toBeVisible();
  expect(await sessionCookie(context)).not.toBe(signedIn);
  expect(await sessionData(page)).not.toHaveProperty("user");
});
