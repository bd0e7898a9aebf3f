import { expect, test } from "@playwright/test";

import { sessionData } from "./session";

test("the concurrency lab keeps 20 of 20 parallel fetcher writes", async ({ page }) => {
  await page.goto("/lab");
  const marks = page.waitForResponse((response) => response.url().includes("/lab/mark/"));
  await page.getByRole("button", { name: "Fire 20 fetchers at once" }).click();
  await marks;
  await expect(page.getByTestId("lab-result")).toHaveText("The session kept 20 of 20 writes.", { timeout: 20_000 });

  const keys = Object.keys(await sessionData(page)).filter((key) => key.startsWith("mark:"));
  expect(keys).toHaveLength(20);
});
