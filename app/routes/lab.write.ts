import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";

import { requireLab } from "~/lab.server";

const MAX_SIZE = 1_000_000;

/** GET /lab/write?key=k&size=n sets `mark:<k>` to n "x" characters: the size-limit tests write big sessions with it. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  requireLab(context);
  const { session } = context;
  const params = new URL(request.url).searchParams;
  const key = params.get("key") ?? "";
  const size = Number(params.get("size"));
  if (key.length === 0 || key.length > 200) {
    return json({ ok: false, error: "The key must be 1 to 200 characters." }, { status: 400 });
  }
  if (!Number.isInteger(size) || size < 0 || size > MAX_SIZE) {
    return json({ ok: false, error: `The size must be a whole number from 0 to ${MAX_SIZE}.` }, { status: 400 });
  }
  session.set(`mark:${key}`, "x".repeat(size));
  return json({ ok: true, key, size });
}
