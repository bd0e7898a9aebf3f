import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";

import { labKeyOf, NO_STORE, requireLab, roomOf, scratchKeys, scratchStorage } from "~/lab.server";

/**
 * GET /lab/tally?run=R: which writers of run R each side kept (their keys' suffixes), read after
 * every writer was answered, and the session's size. Reads only.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const lab = requireLab(context);
  const run = labKeyOf(new URL(request.url).searchParams.get("run"));
  if (!run) return json({ error: "The run must be 1 to 200 characters." }, { status: 400 });
  const data = context.session.data as Record<string, unknown>;
  const merge = Object.keys(data)
    .filter((key) => key.startsWith(`mark:${run}-`))
    .map((key) => key.slice(`mark:${run}-`.length));
  const scratch = await scratchStorage().getSession(request.headers.get("Cookie"));
  const whole = scratchKeys(scratch.data, run).map((key) => key.slice(`${run}-`.length));
  return json({ run, merge, whole, room: roomOf(data, lab) }, { headers: NO_STORE });
}
