import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";

import { labClock, labKeyOf, NO_STORE, requireLab, runOf, scratchKeys, scratchStorage } from "~/lab.server";

/**
 * GET /lab/whole/:key: the lab's whole-session side, committed the way Remix's cookie session
 * storage (and any store that writes the session whole) does: read the scratch session, set
 * `<key>`, write the entire session back. The browser keeps whichever copy arrives last.
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  requireLab(context);
  const key = labKeyOf(params.key);
  if (!key) return json({ ok: false, error: "The key must be 1 to 200 characters." }, { status: 400 });
  const run = runOf(key);
  const storage = scratchStorage();
  let scratch = await storage.getSession(request.headers.get("Cookie"));
  const readAt = labClock();
  const saw = scratchKeys(scratch.data, run).length;
  // Each run starts on an empty scratch session, so runs never pile up in the cookie.
  if (scratch.get("run") !== run) {
    scratch = await storage.getSession();
    scratch.set("run", run);
  }
  scratch.set(key, new Date().toISOString());
  const setCookie = await storage.commitSession(scratch);
  const committedAt = labClock();
  return json({ ok: true, key, readAt, committedAt, saw }, { headers: { ...NO_STORE, "Set-Cookie": setCookie } });
}
