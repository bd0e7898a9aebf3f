import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";

import { NO_STORE, requireLab, roomOf, scratchStorage } from "~/lab.server";

/**
 * POST /lab/reset removes every `mark:` key from the session (the lab's, and those the test routes
 * write) and deletes the scratch session. With `then=lab` (the error page's form) it redirects to the lab.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const lab = requireLab(context);
  const { session } = context;
  const marks = Object.keys(session.data).filter((key): key is `mark:${string}` => key.startsWith("mark:"));
  for (const key of marks) session.unset(key);
  const storage = scratchStorage();
  const clearScratch = await storage.destroySession(await storage.getSession(request.headers.get("Cookie")));
  const headers = { ...NO_STORE, "Set-Cookie": clearScratch };
  // The error page's form asks to be sent back to the lab; the lab page's fetcher wants the numbers.
  const form = await request.formData().catch(() => null);
  if (form?.get("then") === "lab") return redirect("/lab", { headers });
  return json({ removed: marks.length, room: roomOf(session.data as Record<string, unknown>, lab) }, { headers });
}

export async function loader({ context }: LoaderFunctionArgs) {
  requireLab(context);
  return redirect("/lab");
}
