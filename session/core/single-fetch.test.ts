import { decodeViaTurboStream } from "@remix-run/react/dist/single-fetch.js";
import { UNSAFE_SingleFetchRedirectSymbol } from "@remix-run/server-runtime";
import { ServerMode } from "@remix-run/server-runtime/dist/mode.js";
// Remix's own encoder, the one its server answers `.data` requests with.
import { encodeViaTurboStream } from "@remix-run/server-runtime/dist/single-fetch.js";
import { describe, expect, it } from "vitest";

import { dataRequestKind, singleFetchErrorBody, withSingleFetchRevalidation } from "./single-fetch";

/** Decodes a body the way Remix's browser client does. */
async function decode(body: string | ReadableStream<Uint8Array>): Promise<Record<string | symbol, unknown>> {
  const stream = typeof body === "string" ? new Response(body).body! : body;
  return (await decodeViaTurboStream(stream, globalThis)).value as Record<string | symbol, unknown>;
}

/** A 202 single-fetch redirect as Remix 2.17 produces it for a loader (wrapped) or an action (bare). */
function remixRedirect(fields: Record<string, unknown>, wrapped: boolean): Response {
  const value = wrapped ? { [UNSAFE_SingleFetchRedirectSymbol]: fields } : fields;
  const body = encodeViaTurboStream(value, new AbortController().signal, 5000, ServerMode.Production);
  return new Response(body, {
    status: 202,
    headers: { Location: String(fields.redirect), "Content-Type": "text/x-script" },
  });
}

describe("dataRequestKind", () => {
  it.each([
    ["http://x/lab?_data=routes%2Flab", "data"],
    ["http://x/_root.data", "single-fetch"],
    ["http://x/library/fiction.data?_routes=routes%2Flibrary", "single-fetch"],
    ["http://x/library/fiction", null],
  ])("%s is %s", (url, kind) => {
    expect(dataRequestKind(new Request(url))).toBe(kind);
  });
});

describe("singleFetchErrorBody", () => {
  const data = { error: "Your session changed", detail: "Nothing was saved." };

  it("a navigation's loaders: Remix's client throws it from the root route", async () => {
    const decoded = await decode(singleFetchErrorBody(new Request("http://x/lab.data"), 409, data));
    const { error } = decoded.root as { error: { status: number; data: unknown; internal: boolean } };
    expect(error).toMatchObject({ status: 409, data, internal: false });
  });

  it("a fetcher's load: the routes it named", async () => {
    const request = new Request("http://x/lab/tally.data?_routes=routes%2Flab.tally");
    const decoded = await decode(singleFetchErrorBody(request, 503, data));
    expect(Object.keys(decoded)).toEqual(["routes/lab.tally"]);
    expect(decoded["routes/lab.tally"]).toMatchObject({ error: { status: 503, data } });
  });

  it("an action: its one route", async () => {
    const request = new Request("http://x/preferences.data", { method: "POST" });
    expect(await decode(singleFetchErrorBody(request, 409, data))).toMatchObject({ error: { status: 409, data } });
  });
});

describe("withSingleFetchRevalidation", () => {
  it.each([
    ["a loader's", true],
    ["an action's", false],
  ])("marks %s redirect for revalidation and keeps its other fields", async (_name, wrapped) => {
    const fields = { redirect: "/lab", status: 307, revalidate: false, reload: false, replace: true };
    const marked = await withSingleFetchRevalidation(remixRedirect(fields, wrapped));
    expect(marked?.status).toBe(202);
    expect(marked?.headers.get("Location")).toBe("/lab");
    const decoded = await decode(marked!.body!);
    const redirect = wrapped ? decoded[UNSAFE_SingleFetchRedirectSymbol] : decoded;
    expect(redirect).toEqual({ ...fields, revalidate: true });
  });

  it("leaves anything but a single-fetch redirect alone", async () => {
    expect(await withSingleFetchRevalidation(new Response("[]\n", { status: 200 }))).toBeNull();
    expect(await withSingleFetchRevalidation(new Response("[]\n", { status: 202 }))).toBeNull();
    const odd = await withSingleFetchRevalidation(
      new Response("not turbo-stream", { status: 202, headers: { Location: "/" } }),
    );
    expect(await odd?.text()).toBe("not turbo-stream");
  });
});
