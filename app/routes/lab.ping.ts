import { json } from "@remix-run/node";

/** GET /lab/ping answers without touching the session: the cheapest route, for benchmarks. */
export async function loader() {
  return json({ ok: true });
}
