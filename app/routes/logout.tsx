import type { ActionFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";

export async function action({ context: { session } }: ActionFunctionArgs) {
  // Deletes the stored data and clears the cookie once the response goes out.
  session.destroy();
  return redirect("/");
}

export async function loader() {
  return redirect("/");
}
