import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";

/** POST sets the `notice` flash; GET reads it (consuming it) and changes nothing else. */
export async function action({ request, context: { session } }: ActionFunctionArgs) {
  const text = String((await request.formData()).get("notice") ?? "Hello once.");
  session.flash("notice", text);
  return json({ ok: true });
}

export async function loader({ context: { session } }: LoaderFunctionArgs) {
  return json({ notice: session.get("notice") ?? null });
}
