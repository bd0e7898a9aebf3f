import { expect, test } from "@playwright/test";

import { sessionData } from "./session";

test("parallel parent and child loaders keep every write across client-side navigations", async ({ page }) => {
  await page.goto("/library/fiction");
  await expect(page.getByTestId("shelf-loads")).toHaveText("Shelf loader ran 1 time");

  // Every client-side navigation below fires the root, layout and shelf loaders as parallel requests.
  const dataRequests: string[] = [];
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.searchParams.has("_data")) dataRequests.push(url.searchParams.get("_data")!);
  });

  const shelves = ["Poetry", "Science", "Fiction", "Poetry", "Science"];
  for (const [index, title] of shelves.entries()) {
    await page.getByRole("navigation", { name: "Shelves" }).getByRole("link", { name: title }).click();
    await expect(page.getByTestId("shelf-loads")).toHaveText(`Shelf loader ran ${index + 2} times`);
  }

  expect(dataRequests.filter((id) => id === "root")).toHaveLength(shelves.length);
  expect(dataRequests.filter((id) => id === "routes/library")).toHaveLength(shelves.length);
  expect(dataRequests.filter((id) => id === "routes/library.$shelf")).toHaveLength(shelves.length);

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
