import { expect, test, type Page } from "@playwright/test";

/**
 * What differs between the two builds the browser suite runs against: Remix's client asks for data
 * with `?_data=<route id>` (one request per loader), or with single fetch (`future.v3_singleFetch`,
 * `npm run test:e2e:single-fetch`) at `<path>.data` (one request for all loaders of a navigation).
 */

/** Whether this project runs against the single-fetch build (its `metadata.singleFetch`). */
export function singleFetch(): boolean {
  return test.info().project.metadata.singleFetch === true;
}

/** Whether `url` asks for `pathname`: the document, a `?_data` request or single fetch's `.data`. */
export function requestsPath(url: string, pathname: string): boolean {
  const requested = new URL(url).pathname;
  return requested === pathname || requested === (pathname === "/" ? "/_root.data" : `${pathname}.data`);
}

/** The URL Remix's client posts to for the action of route `routeId` at `pathname`. */
export function actionDataUrl(pathname: string, routeId: string): string {
  return singleFetch() ? `${pathname}.data` : `${pathname}?_data=${encodeURIComponent(routeId)}`;
}

/** Fails unless the page was rendered by a build of the mode this project expects (a reused server may not be). */
export async function expectBuildMode(page: Page): Promise<void> {
  const mode = await page.evaluate(
    () => (window as unknown as { __remixContext: { future: { v3_singleFetch?: boolean } } }).__remixContext.future,
  );
  expect(Boolean(mode.v3_singleFetch), "the server's build has v3_singleFetch as this project expects").toBe(
    singleFetch(),
  );
}
