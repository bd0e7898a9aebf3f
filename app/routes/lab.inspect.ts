import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";

import { requireLab, shortSessionId } from "~/lab.server";

/**
 * GET /lab/inspect: what the session inspector shows when it re-reads the session after a page's
 * loaders committed: the raw data (unread flashes stay unread) and the start of the session's id.
 */
export async function loader({ context }: LoaderFunctionArgs) {
  requireLab(context);
  return json(
    { data: context.session.data as Record<string, unknown>, sessionId: shortSessionId(context.session.id) },
    { headers: { "Cache-Control": "no-store" } },
  );
}
