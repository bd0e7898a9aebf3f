import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";

/** Writes `mark:<key>` and then fails with a 500: the write must not be committed. */
export async function loader({ request, context: { session } }: LoaderFunctionArgs) {
  const key = new URL(request.url).searchParams.get("key") ?? "failed";
  session.set(`mark:${key}`, new Date().toISOString());
  throw json({ detail: "This loader failed on purpose." }, { status: 500 });
}
