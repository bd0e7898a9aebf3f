import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";

import { requireLab } from "~/lab.server";

/** GET /lab/session answers the session's raw data; unread flashes stay unread. */
export async function loader({ context }: LoaderFunctionArgs) {
  requireLab(context);
  return json(context.session.data);
}
