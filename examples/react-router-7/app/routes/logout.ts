import { redirect } from "react-router";

import { sessionContext } from "../session.server";

import type { Route } from "./+types/logout";

/** POST /logout ends the session: its data is deleted and the cookie cleared, whatever else runs. */
export async function action({ context }: Route.ActionArgs) {
  context.get(sessionContext).session.destroy();
  return redirect("/");
}

export async function loader() {
  return redirect("/");
}
