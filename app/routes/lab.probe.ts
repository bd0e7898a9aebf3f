import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { isSession, json } from "@remix-run/node";

import { requireLab } from "~/lab.server";

/** Reports what `context` holds, from a loader (GET) and from an action (POST). */
function probe({ context }: LoaderFunctionArgs | ActionFunctionArgs) {
  requireLab(context);
  return json({ isSession: isSession(context.session), id: context.session.id.length > 0 });
}

export const loader = probe;
export const action = probe;
