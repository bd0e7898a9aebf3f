import { expect, test, type Page } from "@playwright/test";

import { sessionData } from "./session";

/** Fires one run and waits until both sides are counted; returns the two counts. */
async function fire(page: Page): Promise<{ merge: number; whole: number }> {
  await page.getByRole("button", { name: "Fire 20 fetchers at once" }).click();
  await expect(page.getByTestId("lab-result")).toHaveText(/^The session kept \d+ of 20 writes\.$/, { timeout: 20_000 });
  await expect(page.getByTestId("whole-result")).toHaveText(/^The scratch session kept \d+ of 20 writes\.$/);
  return {
    merge: Number(await page.getByTestId("merge-count").textContent()),
    whole: Number(await page.getByTestId("whole-count").textContent()),
  };
}

/** The mark: keys the session holds. */
async function marks(page: Page): Promise<string[]> {
  return Object.keys(await sessionData(page)).filter((key) => key.startsWith("mark:"));
}

test("the lab fires 20 fetchers at each commit at once: the merge side keeps 20 of 20, the whole-session side fewer", async ({
  page,
}) => {
  // Two runs of 40 requests each, the first against a freshly started server.
  test.setTimeout(60_000);
  const requests: string[] = [];
  page.on("request", (request) => {
    const { pathname } = new URL(request.url());
    if (/^\/lab\/(merge|whole)\//.test(pathname)) requests.push(pathname);
  });
  await page.goto("/lab");
  await expect(page.getByTestId("lab-result")).toHaveText("Not run yet.");

  const counts = await fire(page);
  expect(counts.merge).toBe(20);
  // Every whole-session request read a copy of the scratch session from the cookie the browser sent;
  // the ones sent together read the same copy, and each answer overwrote the others.
  expect(counts.whole).toBeLessThan(20);
  expect(counts.whole).toBeGreaterThanOrEqual(1);
  expect(requests.filter((pathname) => pathname.startsWith("/lab/merge/"))).toHaveLength(20);
  expect(requests.filter((pathname) => pathname.startsWith("/lab/whole/"))).toHaveLength(20);

  // Both counts side by side, each writer's chip marked kept or lost.
  await expect(page.getByTestId("merge-side").locator('li[data-state="kept"]')).toHaveCount(20);
  await expect(page.getByTestId("whole-side").locator('li[data-state="kept"]')).toHaveCount(counts.whole);
  await expect(page.getByTestId("whole-side").locator('li[data-state="lost"]')).toHaveCount(20 - counts.whole);
  // The timeline has a row per request: 20 per side.
  await expect(page.getByTestId("lab-timeline").locator("li")).toHaveCount(40);
  await expect(page.getByTestId("lab-timeline")).toContainText(/Server clock, [\d.]+ ms from the first read/);

  // The merge side's 20 keys are in the session; the whole side never touched it.
  expect(await marks(page)).toHaveLength(20);
  await expect(page.getByTestId("lab-room")).toContainText("20 lab keys");

  // A second run keeps its 20 as well, beside the first run's.
  expect((await fire(page)).merge).toBe(20);
  expect(await marks(page)).toHaveLength(40);
});

test("reset removes the lab's keys from the session and the scratch session", async ({ page }) => {
  await page.goto("/lab");
  await fire(page);
  expect(await marks(page)).toHaveLength(20);
  const run = (await marks(page))[0].slice("mark:".length).replace(/-\d+$/, "");

  await page.getByRole("button", { name: "Reset the lab" }).click();
  await expect(page.getByTestId("lab-reset")).toHaveText("Reset: removed 20 keys and the scratch session.");
  await expect(page.getByTestId("lab-result")).toHaveText("Not run yet.");
  await expect(page.getByTestId("lab-room")).toContainText("0 lab keys");
  expect(await marks(page)).toEqual([]);
  // Nothing of that run is left on either side.
  const tally = await (await page.request.get(`/lab/tally?run=${run}`)).json();
  expect(tally).toMatchObject({ merge: [], whole: [] });
  // The inspector shows no lab key either.
  await expect(page.getByTestId("session-inspector")).not.toContainText("mark:");
});

test("a session near its size limit gets a clear notice and no run, until the lab is reset", async ({ page }) => {
  await page.goto("/");
  // Fill the session to within a run (about 860 bytes) of its 64 KB limit.
  expect((await page.request.get("/lab/write?key=filler&size=64200")).status()).toBe(200);
  await page.goto("/lab");
  await expect(page.getByTestId("lab-full")).toContainText("The session is nearly full.");
  await expect(page.getByTestId("lab-room")).toContainText("no room for another run");
  await expect(page.getByRole("button", { name: "Fire 20 fetchers at once" })).toBeDisabled();

  await page.getByRole("button", { name: "Reset the lab" }).click();
  await expect(page.getByTestId("lab-reset")).toHaveText("Reset: removed 1 key and the scratch session.");
  await expect(page.getByTestId("lab-full")).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Fire 20 fetchers at once" })).toBeEnabled();
  expect((await fire(page)).merge).toBe(20);
});

test("the lab links the deferred page, which says how crawlers differ", async ({ page }) => {
  await page.goto("/lab");
  await page.getByRole("link", { name: "Deferred data" }).click();
  await expect(page.getByTestId("deferred")).toHaveText("Value: streamed");
  await expect(page.getByTestId("deferred-bots")).toContainText("Crawlers are different");
  // The inspector re-reads the session once the page settled: the early write, not the late one.
  await expect(page.getByTestId("session-inspector")).toContainText("mark:deferred-early");
  await expect(page.getByTestId("session-inspector")).not.toContainText("mark:deferred-late");
});
