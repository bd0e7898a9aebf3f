import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, useActionData } from "@remix-run/react";

export async function loader({ context: { session } }: LoaderFunctionArgs) {
  return session.has("user") ? redirect("/") : null;
}

/** How long "Keep me signed in" keeps the session: 30 days, extended while it is used. */
const REMEMBER_FOR_SECONDS = 30 * 24 * 60 * 60;

export async function action({ request, context: { session } }: ActionFunctionArgs) {
  const form = await request.formData();
  const name = String(form.get("name") ?? "").trim();
  if (!name || name.length > 60) {
    return json({ error: "Enter a name of 1 to 60 characters." }, { status: 400 });
  }
  // A new id at sign in: an id planted before sign in (session fixation) is worth nothing after it.
  session.regenerateId();
  // Unticked: the cookie goes when the browser closes, and the server forgets the session sooner.
  session.setLifetime(form.get("remember") === "on" ? REMEMBER_FOR_SECONDS : "browser");
  session.set("user", { name, signedInAt: new Date().toISOString() });
  session.flash("notice", `Signed in as ${name}.`);
  return redirect("/");
}

export default function Login() {
  const result = useActionData<typeof action>();
  return (
    <div className="max-w-sm">
      <h1 className="text-2xl font-bold">Sign in</h1>
      <p className="mt-2 text-slate-600 dark:text-slate-400">
        Any name will do. Signing in moves your session to a fresh id.
      </p>
      <Form method="post" className="mt-6 space-y-4">
        <label className="block">
          <span className="font-medium">Name</span>
          <input
            name="name"
            required
            maxLength={60}
            autoComplete="username"
            className="mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 dark:border-slate-700 dark:bg-slate-900"
          />
        </label>
        <label className="flex items-center gap-2">
          <input type="checkbox" name="remember" className="accent-indigo-600" />
          <span>Keep me signed in</span>
        </label>
        {result?.error ? <p className="text-sm text-rose-600">{result.error}</p> : null}
        <button type="submit" className="rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-500">
          Sign in
        </button>
      </Form>
    </div>
  );
}
