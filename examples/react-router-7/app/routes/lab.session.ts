import { labRoutesOn, sessionContext } from "../session.server";

import type { Route } from "./+types/lab.session";

/** GET /lab/session answers the session's raw data; unread flashes stay unread. */
export async function loader({ context }: Route.LoaderArgs) {
  if (!labRoutesOn) throw new Response("Not Found", { status: 404, statusText: "Not Found" });
  return Response.json(context.get(sessionContext).session.data);
}
