import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";

import type { SessionData } from "~/session";

const THEMES: SessionData["theme"][] = ["light", "dark"];
const DENSITIES: SessionData["density"][] = ["comfortable", "compact"];

export async function loader({ context: { session } }: LoaderFunctionArgs) {
  return json({ theme: session.get("theme") ?? "light", density: session.get("density") ?? "comfortable" });
}

export async function action({ request, context: { session } }: ActionFunctionArgs) {
  const form = await request.formData();
  const theme = THEMES.find((value) => value === form.get("theme"));
  const density = DENSITIES.find((value) => value === form.get("density"));
  if (!theme || !density) {
    return json({ error: "Choose a theme and a density." }, { status: 400 });
  }
  session.set("theme", theme);
  session.set("density", density);
  session.flash("notice", "Preferences saved.");
  return redirect("/preferences");
}

export default function Preferences() {
  const current = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const saving = useNavigation().state === "submitting";
  return (
    <div className="max-w-lg">
      <h1 className="text-2xl font-bold">Preferences</h1>
      <p className="mt-2 text-slate-600 dark:text-slate-400">
        Saved in your session; the confirmation is a flash message.
      </p>
      <p className="mt-2 text-sm text-slate-500 dark:text-slate-400" data-testid="preferences-sign-out">
        They belong to the session, signed in or not, so signing out deletes them along with everything else in it: the
        theme and density go back to light and comfortable, and the page says so.
      </p>
      <Form
        method="post"
        className="mt-6 space-y-6 rounded-xl border border-slate-200 bg-white p-5 shadow-sm dark:border-slate-800 dark:bg-slate-900"
      >
        <Choice legend="Theme" name="theme" options={THEMES} value={current.theme} />
        <Choice legend="Density" name="density" options={DENSITIES} value={current.density} />
        {result?.error ? <p className="text-sm text-rose-600">{result.error}</p> : null}
        <button
          type="submit"
          disabled={saving}
          className="rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-500 disabled:opacity-60"
        >
          {saving ? "Saving…" : "Save preferences"}
        </button>
      </Form>
    </div>
  );
}

function Choice({ legend, name, options, value }: { legend: string; name: string; options: string[]; value: string }) {
  return (
    <fieldset>
      <legend className="font-medium">{legend}</legend>
      <div className="mt-2 flex gap-4">
        {options.map((option) => (
          <label key={option} className="flex items-center gap-2 capitalize">
            <input
              type="radio"
              name={name}
              value={option}
              defaultChecked={option === value}
              className="accent-indigo-600"
            />
            {option}
          </label>
        ))}
      </div>
    </fieldset>
  );
}
