import type { LoaderFunctionArgs } from "@remix-run/node";
import { defer } from "@remix-run/node";
import { Await, useLoaderData } from "@remix-run/react";
import { Suspense } from "react";

/**
 * Streams a value that changes the session after the headers went out. That change cannot reach
 * the cookie or the store; in development the server names the key in a warning.
 */
export async function loader({ context: { session } }: LoaderFunctionArgs) {
  session.set("mark:deferred-early", new Date().toISOString());
  const late = new Promise<string>((resolve) =>
    setTimeout(() => {
      session.set("mark:deferred-late", new Date().toISOString());
      resolve("streamed");
    }, 100),
  );
  return defer({ late });
}

export default function Deferred() {
  const { late } = useLoaderData<typeof loader>();
  return (
    <div>
      <h1 className="text-2xl font-bold">Deferred data</h1>
      <p className="mt-2 text-slate-600 dark:text-slate-400">
        Changes made while the page streams arrive after the cookie was sent, so they are not saved.
      </p>
      <Suspense fallback={<p className="mt-4">Loading…</p>}>
        <Await resolve={late}>{(value) => <p className="mt-4" data-testid="deferred">Value: {value}</p>}</Await>
      </Suspense>
    </div>
  );
}
