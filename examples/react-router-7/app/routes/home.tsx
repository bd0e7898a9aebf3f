import { useEffect, useState } from "react";
import { Form, redirect, useFetcher } from "react-router";

import { sessionContext } from "../session.server";

import type { Route } from "./+types/home";

/** How many fetchers write at once. */
const WRITERS = 20;

export async function loader({ context }: Route.LoaderArgs) {
  const { data } = context.get(sessionContext).session;
  return { keys: Object.keys(data).filter((key) => key.startsWith("mark:")) };
}

/** The flash form: the notice is shown on the next page and gone after it. */
export async function action({ context }: Route.ActionArgs) {
  context.get(sessionContext).session.flash("notice", "Saved. This notice shows once.");
  return redirect("/");
}

export default function Home({ loaderData }: Route.ComponentProps) {
  const [run, setRun] = useState<string | null>(null);
  const kept = run ? loaderData.keys.filter((key) => key.startsWith(`mark:${run}-`)).length : 0;
  return (
    <main>
      <h1>Sessions that commit themselves</h1>
      <p>
        Each button below changes the session; nothing in the routes saves it. The middleware in{" "}
        <code>app/session.server.ts</code> commits what changed after the response.
      </p>
      <h2>Parallel writes</h2>
      <p>
        {WRITERS} fetchers post at once, each setting its own key of the same session.{" "}
        <button type="button" onClick={() => setRun(Math.random().toString(36).slice(2, 8))}>
          Write {WRITERS} keys
        </button>
      </p>
      {run ? (
        <p data-testid="kept">
          Kept {kept} of {WRITERS}
        </p>
      ) : null}
      {run ? Array.from({ length: WRITERS }, (_, i) => <Writer key={`${run}-${i}`} name={`${run}-${i}`} />) : null}
      <h2>A flash</h2>
      <Form method="post">
        <button type="submit">Save and say so once</button>
      </Form>
    </main>
  );
}

/** One fetcher that writes its key as soon as it mounts. */
function Writer({ name }: { name: string }) {
  const fetcher = useFetcher();
  const { submit } = fetcher;
  useEffect(() => {
    void submit({ key: name }, { method: "post", action: "/keys" });
  }, [name, submit]);
  return null;
}
