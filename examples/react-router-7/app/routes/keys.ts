import { sessionContext } from "../session.server";

import type { Route } from "./+types/keys";

/** POST /keys with `key`: the parallel fetchers' write, one key each. */
export async function action({ request, context }: Route.ActionArgs) {
  const key = String((await request.formData()).get("key") ?? "");
  if (key.length === 0 || key.length > 200) return Response.json({ ok: false }, { status: 400 });
  context.get(sessionContext).session.set(`mark:${key}`, new Date().toISOString());
  return { ok: true, key };
}
