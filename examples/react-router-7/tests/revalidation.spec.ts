import { expect, request, test, type APIRequestContext } from "@playwright/test";
import { UNSAFE_decodeViaTurboStream as decodeViaTurboStream } from "react-router";

/** The redirect React Router's client reads from a single-fetch action answer, decoded as it decodes it. */
interface SingleFetchRedirect {
  redirect: string;
  status: number;
  revalidate: boolean;
}

/** A client for `baseURL` that sends the cookie of a session that exists already. */
async function withSession(baseURL: string): Promise<APIRequestContext> {
  const fresh = await request.newContext({ baseURL });
  const made = await fresh.get("/lab/mark/revalidation");
  await fresh.dispose();
  const cookie = made.headers()["set-cookie"]!.split(";")[0];
  return request.newContext({ baseURL, extraHTTPHeaders: { Cookie: cookie } });
}

/**
 * POST /lab/bounce as the browser's router submits its form: to `/lab/bounce.data`, the fields
 * URL-encoded, from the page's origin (React Router 7.18 adds no headers of its own to an action
 * request). The answer is a 202 whose body describes the action's redirect.
 */
async function submitBounce(api: APIRequestContext, baseURL: string, fields: Record<string, string>) {
  const response = await api.post("/lab/bounce.data", { form: fields, headers: { Origin: baseURL } });
  expect(response.status()).toBe(202);
  expect(response.headers()["x-remix-response"]).toBe("yes");
  const { value } = await decodeViaTurboStream(new Response(await response.text()).body!, globalThis);
  return { redirect: value as SingleFetchRedirect, setCookie: response.headers()["set-cookie"] };
}

test("an action that changes the session and redirects tells the router to revalidate", async ({ baseURL }) => {
  const api = await withSession(baseURL!);
  const { redirect, setCookie } = await submitBounce(api, baseURL!, {});
  // The write kept the session's id, so no Set-Cookie could have asked for the revalidation.
  expect(setCookie).toBeUndefined();
  expect(await (await api.get("/lab/session")).json()).toHaveProperty("mark:bounced");
  expect(redirect).toMatchObject({ redirect: "/lab/bounce", status: 302, revalidate: true });
  await api.dispose();
});

test("an action that redirects without changing the session does not", async ({ baseURL }) => {
  const api = await withSession(baseURL!);
  const { redirect, setCookie } = await submitBounce(api, baseURL!, { write: "none" });
  expect(setCookie).toBeUndefined();
  expect(redirect).toMatchObject({ redirect: "/lab/bounce", status: 302, revalidate: false });
  await api.dispose();
});

// A loader's redirect, not an action's: after any submission React Router 7.18 loads everything on the
// page again by itself, so only a navigation's redirect shows in the browser whether the signal came.
test("after a link's loader writes and redirects, the page's fetcher shows the new value without a reload", async ({
  page,
}) => {
  // The page load starts the session (the root loader counts visits), so the write keeps its id.
  await page.goto("/lab/bounce");
  const bounced = page.getByTestId("bounced");
  // The fetcher loads once the page is hydrated: from then on the router, not the browser, follows the link.
  await expect(bounced).toHaveText("none");
  const documentLoads: string[] = [];
  page.on("request", (sent) => {
    if (sent.isNavigationRequest()) documentLoads.push(sent.url());
  });

  const redirected = page.waitForResponse((answer) => answer.url().includes("/lab/bounce.data?write"));
  await page.getByRole("link", { name: "Write through a redirect" }).click();
  expect((await redirected).status()).toBe(202);
  const stored = (await (await page.request.get("/lab/session")).json())["mark:bounced"];
  expect(stored).toMatch(/^\d{4}-/);
  // Route loaders run again on every navigation; an idle fetcher's only when the redirect asks for it.
  await expect(bounced).toHaveText(stored);
  await expect(page).toHaveURL(/\/lab\/bounce$/);
  expect(documentLoads).toEqual([]);
});
