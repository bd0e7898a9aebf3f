import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import {
  isRouteErrorResponse,
  Links,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  useLoaderData,
  useRouteError,
  useRouteLoaderData,
} from "@remix-run/react";
import type { ReactNode } from "react";

import { AppHeader } from "~/components/app-header";
import { Notice } from "~/components/notice";
import { SessionInspector } from "~/components/session-inspector";
import stylesheet from "~/tailwind.css";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: stylesheet },
  { rel: "icon", href: "/favicon.svg", type: "image/svg+xml" },
];

export const meta: MetaFunction = () => [
  { title: "Shelfwise · sessions that commit themselves" },
  { name: "description", content: "A Remix stack whose sessions commit themselves." },
];

export async function loader({ context: { session } }: LoaderFunctionArgs) {
  const visits = (session.get("visits") ?? 0) + 1;
  session.set("visits", visits);
  return json({
    notice: session.get("notice") ?? null,
    user: session.get("user") ?? null,
    theme: session.get("theme") ?? "light",
    density: session.get("density") ?? "comfortable",
    visits,
    sessionData: session.data,
  });
}

// Count every navigation, so each one sends the root's loader request alongside the page's own.
export const shouldRevalidate = () => true;

export function Layout({ children }: { children: ReactNode }) {
  const data = useRouteLoaderData<typeof loader>("root");
  return (
    <html lang="en" className={data?.theme === "dark" ? "dark" : undefined}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body className="min-h-screen bg-slate-50 text-slate-900 antialiased dark:bg-slate-950 dark:text-slate-100">
        {children}
        <ScrollRestoration />
        <Scripts />
      </body>
    </html>
  );
}

export default function App() {
  const { notice, user, density, visits, sessionData } = useLoaderData<typeof loader>();
  return (
    <div className={density === "compact" ? "text-sm" : undefined}>
      <AppHeader user={user} visits={visits} />
      <div className="mx-auto grid max-w-6xl gap-8 px-4 py-8 lg:grid-cols-[1fr_20rem]">
        <main className="min-w-0">
          {notice ? <Notice>{notice}</Notice> : null}
          <Outlet />
        </main>
        <SessionInspector initialData={sessionData} />
      </div>
    </div>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  const status = isRouteErrorResponse(error) ? error.status : 500;
  const detail = isRouteErrorResponse(error)
    ? typeof error.data === "object" && error.data && "detail" in error.data
      ? String(error.data.detail)
      : error.statusText
    : "Something went wrong on our side.";
  return (
    <main className="mx-auto max-w-xl px-4 py-16">
      <p className="text-sm font-semibold text-rose-600">Error {status}</p>
      <h1 className="mt-2 text-2xl font-bold">
        {status === 503 ? "Sessions are unavailable right now" : "This page could not be shown"}
      </h1>
      <p className="mt-4 text-slate-600 dark:text-slate-400">{detail}</p>
      <a href="/" className="mt-6 inline-block text-indigo-600 underline">
        Back to the start
      </a>
    </main>
  );
}
