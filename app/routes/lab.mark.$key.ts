import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";

import { requireLab } from "~/lab.server";

/** GET /lab/mark/:key sets `mark:<key>` to the current time. Used by the lab page and the tests. */
export async function loader({ params, context }: LoaderFunctionArgs) {
  requireLab(context);
  const { session } = context;
  const key = params.key ?? "";
  if (key.length === 0 || key.length > 200) {
    return json({ ok: false, error: "The key must be 1 to 200 characters." }, { status: 400 });
  }
  session.set(`mark:${key}`, new Date().toISOString());
  return json({ ok: true, key });
}
