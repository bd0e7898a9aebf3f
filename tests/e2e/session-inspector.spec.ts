import { expect, test } from "@playwright/test";

test("the inspector shows the flash a page read, with its badge, after the page settled", async ({ page }) => {
  await page.goto("/preferences");
  await page.getByLabel("dark").check();
  await page.getByRole("button", { name: "Save preferences" }).click();
  await expect(page.getByTestId("notice")).toHaveText("Preferences saved.");
  const inspector = page.getByTestId("session-inspector");
  await expect(inspector.getByTestId("flash-badge")).toHaveText("flash, read once");
  // Re-read after the navigation: the flash is gone from the session, the badge stays for this page.
  await expect(inspector).toContainText('theme"dark"');
  await page.getByRole("link", { name: "Library" }).first().click();
  await expect(page.getByRole("heading", { name: "Library" })).toBeVisible();
  await expect(inspector.getByTestId("flash-badge")).toHaveCount(0);
});

test("the inspector cuts a long value off and shows it whole on demand, with the session id shortened", async ({
  page,
}) => {
  await page.goto("/");
  expect((await page.request.get("/lab/write?key=long&size=120")).status()).toBe(200);
  await page.reload();
  const entry = page.getByTestId("session-inspector").locator("details");
  const whole = entry.locator("pre");
  await expect(whole).toBeHidden();
  await entry.getByTitle("Show the whole value").click();
  await expect(whole).toBeVisible();
  await expect(whole).toHaveText(`"${"x".repeat(120)}"`);
  await expect(page.getByTestId("session-id")).toHaveText(/^[\w-]{6}…$/);
  await expect(page.getByTestId("inspector-caption")).toContainText("What the server keeps in this browser's session");
});
