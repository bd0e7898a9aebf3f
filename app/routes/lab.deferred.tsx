import type { LoaderFunctionArgs } from "@remix-run/node";
import { defer } from "@remix-run/node";
import { Await, Link, useLoaderData } from "@remix-run/react";
import { Suspense } from "react";

import { requireLab } from "~/lab.server";

/**
 * Streams a value that changes the session after the headers went out. That change cannot reach
 * the cookie or the store; in development the server names the key in a warning. A crawler's page
 * is rendered whole before the headers (app/entry.server.tsx), so for crawlers the change is saved.
 */
export async function loader({ context }: LoaderFunctionArgs) {
  requireLab(context);
  const { session } = context;
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
    <div className="max-w-2xl space-y-4">
      <Link to="/lab" className="text-sm text-indigo-600 underline dark:text-indigo-400">
        ← Concurrency lab
      </Link>
      <h1 className="text-2xl font-bold">Deferred data</h1>
      <p className="text-slate-600 dark:text-slate-400">
        This page&apos;s loader sets <code className="font-mono">mark:deferred-early</code> before it returns, and{" "}
        <code className="font-mono">mark:deferred-late</code> 100 ms later, inside the value that streams in below. A
        browser gets the page as a stream: the session is committed and its cookie sent with the headers, before the
        late change is made, so that change is lost (in development the server names the key in a warning). The session
        inspector shows the early key and not the late one.
      </p>
      <p className="text-slate-600 dark:text-slate-400" data-testid="deferred-bots">
        Crawlers are different: for a user agent that <code className="font-mono">isbot</code> recognises (Googlebot,
        Bingbot and the like), the server renders the whole page, deferred values included, before it answers. The late
        change is then made before the commit, and saved.
      </p>
      <Suspense fallback={<p>Loading…</p>}>
        <Await resolve={late}>{(value) => <p data-testid="deferred">Value: {value}</p>}</Await>
      </Suspense>
    </div>
  );
}
