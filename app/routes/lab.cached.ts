import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";

import { requireLab } from "~/lab.server";

/** Writes a key and answers with the Cache-Control given in `?cc=` (none when absent). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  requireLab(context);
  const { session } = context;
  const cacheControl = new URL(request.url).searchParams.get("cc");
  session.set("mark:cached", new Date().toISOString());
  return json({ ok: true }, cacheControl ? { headers: { "Cache-Control": cacheControl } } : undefined);
}
