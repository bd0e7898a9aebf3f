import type { LoaderFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";

import { requireLab } from "~/lab.server";

/** Writes a key in a loader and redirects; the redirect must make Remix revalidate. */
export async function loader({ context }: LoaderFunctionArgs) {
  requireLab(context);
  const { session } = context;
  session.set("mark:bounced", new Date().toISOString());
  return redirect("/lab");
}
