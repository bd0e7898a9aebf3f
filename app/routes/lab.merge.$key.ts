import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";

import { labClock, labKeyOf, NO_STORE, requireLab, runOf } from "~/lab.server";

/**
 * GET /lab/merge/:key: the lab's merge side. Sets `mark:<key>` in `context.session`, which this
 * stack commits as one change applied onto what the store holds then. Answers when the request
 * read the session and made its change (server clock), and how many keys of its run it saw.
 */
export async function loader({ params, context }: LoaderFunctionArgs) {
  requireLab(context);
  // The session was read just before this loader ran.
  const readAt = labClock();
  const key = labKeyOf(params.key);
  if (!key) return json({ ok: false, error: "The key must be 1 to 200 characters." }, { status: 400 });
  const prefix = `mark:${runOf(key)}-`;
  const saw = Object.keys(context.session.data).filter((name) => name.startsWith(prefix)).length;
  context.session.set(`mark:${key}`, new Date().toISOString());
  // The commit itself follows as the response leaves, before its headers: the closest a loader sees.
  return json({ ok: true, key, readAt, committedAt: labClock(), saw }, { headers: NO_STORE });
}
