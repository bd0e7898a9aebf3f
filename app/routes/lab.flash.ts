import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";

import { requireLab } from "~/lab.server";

/** POST sets the `notice` flash; GET reads it (consuming it) and changes nothing else. */
export async function action({ request, context }: ActionFunctionArgs) {
  requireLab(context);
  const { session } = context;
  const text = String((await request.formData()).get("notice") ?? "Hello once.");
  session.flash("notice", text);
  return json({ ok: true });
}

export async function loader({ context }: LoaderFunctionArgs) {
  requireLab(context);
  const { session } = context;
  return json({ notice: session.get("notice") ?? null });
}
