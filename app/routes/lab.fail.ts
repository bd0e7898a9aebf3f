import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";

import { requireLab } from "~/lab.server";

/** Writes `mark:<key>` and then fails with a 500: the write must not be committed. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  requireLab(context);
  const { session } = context;
  const key = new URL(request.url).searchParams.get("key") ?? "failed";
  session.set(`mark:${key}`, new Date().toISOString());
  throw json({ detail: "This loader failed on purpose." }, { status: 500 });
}
