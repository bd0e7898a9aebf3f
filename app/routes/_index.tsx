import { Link, useRouteLoaderData } from "@remix-run/react";

import type { loader as rootLoader } from "~/root";

export default function Index() {
  const root = useRouteLoaderData<typeof rootLoader>("root");
  return (
    <div className="space-y-8">
      <section>
        <h1 className="text-3xl font-bold tracking-tight">
          {root?.user ? `Welcome back, ${root.user.name}` : "Sessions that commit themselves"}
        </h1>
        <p className="mt-3 max-w-2xl text-slate-600 dark:text-slate-400">
          Every loader and action here gets <code className="font-mono">context.session</code>. The server saves what
          changed after the page is rendered, sends one cookie, and merges the writes of requests that run at the same
          time. Nobody calls <code className="font-mono">commitSession</code>.
        </p>
      </section>
      <section className="grid gap-4 sm:grid-cols-2">
        <Card to="/library" title="Browse the library">
          A parent and a child loader each write their own key on every navigation, all at once.
        </Card>
        <Card to="/preferences" title="Set your preferences">
          An action saves them, flashes a confirmation and redirects. The flash shows once.
        </Card>
        <Card to="/login" title="Sign in">
          The session moves to a fresh id at sign in and is destroyed at sign out.
        </Card>
        {root?.labRoutes ? (
          <Card to="/lab" title="Run the concurrency lab">
            Twenty fetchers write twenty keys at the same moment, against this stack and against a whole-session commit.
            Count how many survive on each side.
          </Card>
        ) : null}
      </section>
      <p className="text-sm text-slate-500 dark:text-slate-400" data-testid="visits-note">
        The visit counter in the header is the root loader&apos;s own session write: it counts every page you open,
        client-side navigations included, since the root loader runs on each one.
      </p>
    </div>
  );
}

function Card({ to, title, children }: { to: string; title: string; children: React.ReactNode }) {
  return (
    <Link
      to={to}
      className="block rounded-xl border border-slate-200 bg-white p-5 shadow-sm transition hover:border-indigo-300 hover:shadow dark:border-slate-800 dark:bg-slate-900"
    >
      <h2 className="font-semibold text-indigo-700 dark:text-indigo-300">{title}</h2>
      <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">{children}</p>
    </Link>
  );
}
