import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";

import { requireLab } from "~/lab.server";

/** GET /lab/ping answers without touching the session: the cheapest route, for benchmarks. */
export async function loader({ context }: LoaderFunctionArgs) {
  requireLab(context);
  return json({ ok: true });
}
