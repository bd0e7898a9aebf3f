import { expect, test } from "@playwright/test";

import { sessionData } from "../e2e/session";

test("the app hydrates from the Pages static files, which never carry a session cookie", async ({ page }) => {
  const assetCookies: string[] = [];
  page.on("response", async (response) => {
    if (new URL(response.url()).pathname.startsWith("/build/")) {
      assetCookies.push(...((await response.headerValue("set-cookie")) ?? "").split("\n").filter(Boolean));
    }
  });
  const dataRequests: string[] = [];
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.searchParams.has("_data")) dataRequests.push(url.searchParams.get("_data")!);
  });

  await page.goto("/");
  await expect(page.getByTestId("visits")).toHaveText("1 visit");
  // A client-side navigation (so the browser build ran): its loaders arrive as ?_data requests.
  await page.getByRole("link", { name: "Preferences" }).first().click();
  await expect(page.getByRole("heading", { name: "Preferences" })).toBeVisible();
  await expect(page.getByTestId("visits")).toHaveText("2 visits");
  expect(dataRequests).toContain("root");
  expect(assetCookies).toEqual([]);
  expect(await sessionData(page)).toMatchObject({ visits: 2 });
});

test("the concurrency lab runs and reports what the store kept: these stores cannot merge", async ({
  page,
}, testInfo) => {
  await page.goto("/lab");
  await page.getByRole("button", { name: "Fire 20 fetchers at once" }).click();
  const result = page.getByTestId("lab-result");
  await expect(result).toHaveText(/The session kept \d+ of 20 writes\./, { timeout: 20_000 });
  const kept = Number(/kept (\d+)/.exec((await result.textContent()) ?? "")?.[1]);
  // Every fetcher got an answer and at least one write survived; how many depends on timing.
  expect(kept).toBeGreaterThanOrEqual(1);
  testInfo.annotations.push({ type: "kept", description: `${kept} of 20 (${testInfo.project.name})` });
});
