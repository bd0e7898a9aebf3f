import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";

/** GET /lab/session answers the session's raw data; unread flashes stay unread. */
export async function loader({ context: { session } }: LoaderFunctionArgs) {
  return json(session.data);
}
