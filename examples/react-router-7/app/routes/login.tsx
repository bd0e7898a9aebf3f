import { Form, redirect } from "react-router";

import { sessionContext } from "../session.server";

import type { Route } from "./+types/login";

export async function loader({ context }: Route.LoaderArgs) {
  return context.get(sessionContext).session.has("user") ? redirect("/") : null;
}

export async function action({ request, context }: Route.ActionArgs) {
  const { session } = context.get(sessionContext);
  const name = String((await request.formData()).get("name") ?? "").trim();
  if (!name || name.length > 60) return { error: "Enter a name of 1 to 60 characters." };
  // A new id at sign in: an id planted before sign in (session fixation) is worth nothing after it.
  session.regenerateId();
  session.set("user", { name, signedInAt: new Date().toISOString() });
  session.flash("notice", `Signed in as ${name}.`);
  return redirect("/");
}

export default function Login({ actionData }: Route.ComponentProps) {
  return (
    <main>
      <h1>Sign in</h1>
      <p>Any name will do. Signing in moves your session to a fresh id.</p>
      <Form method="post">
        <label>
          Name <input name="name" required maxLength={60} autoComplete="username" />
        </label>{" "}
        <button type="submit">Sign in</button>
      </Form>
      {actionData?.error ? <p role="alert">{actionData.error}</p> : null}
    </main>
  );
}
