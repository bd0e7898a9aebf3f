import { expect, test } from "@playwright/test";

import { expectBuildMode, singleFetch } from "./data-requests";
import { sessionData } from "./session";

test("parallel parent and child loaders keep every write across client-side navigations", async ({ page }) => {
  await page.goto("/library/fiction");
  await expect(page.getByTestId("shelf-loads")).toHaveText("Shelf loader ran 1 time");
  await expectBuildMode(page);

  // Every client-side navigation below fires the root, layout and shelf loaders as parallel requests,
  // or with single fetch one request that runs all three at once on the server.
  const dataRequests: string[] = [];
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.searchParams.has("_data")) dataRequests.push(url.searchParams.get("_data")!);
    // A fetcher's load (the session inspector's) names its one route in `_routes`; a navigation does not.
    else if (url.pathname.endsWith(".data") && !url.searchParams.has("_routes")) dataRequests.push(url.pathname);
  });

  const shelves = ["Poetry", "Science", "Fiction", "Poetry", "Science"];
  for (const [index, title] of shelves.entries()) {
    await page.getByRole("navigation", { name: "Shelves" }).getByRole("link", { name: title }).click();
    await expect(page.getByTestId("shelf-loads")).toHaveText(`Shelf loader ran ${index + 2} times`);
  }

  if (singleFetch()) {
    expect(dataRequests).toEqual(shelves.map((title) => `/library/${title.toLowerCase()}.data`));
  } else {
    expect(dataRequests.filter((id) => id === "root")).toHaveLength(shelves.length);
    expect(dataRequests.filter((id) => id === "routes/library")).toHaveLength(shelves.length);
    expect(dataRequests.filter((id) => id === "routes/library.$shelf")).toHaveLength(shelves.length);
  }

  const loads = shelves.length + 1;
  expect(await sessionData(page)).toMatchObject({
    visits: loads,
    libraryLoads: loads,
    shelfLoads: loads,
    lastShelf: "science",
  });
  // The inspector re-reads the merged session after the navigation settles.
  await expect(page.getByTestId("session-inspector")).toContainText(`shelfLoads${loads}`);
});
