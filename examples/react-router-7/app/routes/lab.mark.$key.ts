import { labRoutesOn, sessionContext } from "../session.server";

import type { Route } from "./+types/lab.mark.$key";

/** GET /lab/mark/:key sets `mark:<key>` to the current time: the template's answer, for the same tests. */
export async function loader({ params, context }: Route.LoaderArgs) {
  if (!labRoutesOn) throw new Response("Not Found", { status: 404, statusText: "Not Found" });
  const { session } = context.get(sessionContext);
  const key = params.key ?? "";
  if (key.length === 0 || key.length > 200) {
    return Response.json({ ok: false, error: "The key must be 1 to 200 characters." }, { status: 400 });
  }
  session.set(`mark:${key}`, new Date().toISOString());
  return Response.json({ ok: true, key });
}
