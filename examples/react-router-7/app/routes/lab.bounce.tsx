import { useEffect } from "react";
import { Link, redirect, useFetcher } from "react-router";

import { labRoutesOn, sessionContext } from "../session.server";

import type { Route } from "./+types/lab.bounce";

/**
 * GET /lab/bounce answers `mark:bounced` of the session (the data the page's fetcher loads); with
 * `?write` it sets that key and redirects back instead, as the template's /lab/bounce does.
 */
export async function loader({ request, context }: Route.LoaderArgs) {
  if (!labRoutesOn) throw new Response("Not Found", { status: 404, statusText: "Not Found" });
  const { session } = context.get(sessionContext);
  if (new URL(request.url).searchParams.has("write")) {
    session.set("mark:bounced", new Date().toISOString());
    throw redirect("/lab/bounce");
  }
  return { bounced: session.get("mark:bounced") ?? null };
}

/** POST /lab/bounce sets `mark:bounced` and redirects back; with `write=none` it only redirects. */
export async function action({ request, context }: Route.ActionArgs) {
  if (!labRoutesOn) throw new Response("Not Found", { status: 404, statusText: "Not Found" });
  if ((await request.formData()).get("write") !== "none") {
    context.get(sessionContext).session.set("mark:bounced", new Date().toISOString());
  }
  return redirect("/lab/bounce");
}

/**
 * The redirect's writes keep the session's id, so no cookie tells React Router that what the fetcher
 * loaded is stale: after a navigation (no action) it loads a fetcher's data again only when the
 * redirect carries the middleware's revalidation signal.
 */
export default function Bounce() {
  const fetcher = useFetcher<typeof loader>();
  const { load, state, data } = fetcher;
  // Once: after that, only the router's revalidation loads it again.
  useEffect(() => {
    if (state === "idle" && data === undefined) void load("/lab/bounce");
  }, [load, state, data]);
  return (
    <main>
      <h1>Bounce</h1>
      <p data-testid="bounced">{data ? (data.bounced ?? "none") : "loading"}</p>
      <Link to="/lab/bounce?write">Write through a redirect</Link>
    </main>
  );
}
