import type { ActionFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";

export async function action({ context: { session } }: ActionFunctionArgs) {
  // Deletes the stored data and clears the cookie once the response goes out. The preferences go
  // with it: they live in the session. The page says so from the URL, because a flash would have
  // to be written into the session this request deletes.
  session.destroy();
  return redirect("/?signed-out");
}

export async function loader() {
  return redirect("/");
}
