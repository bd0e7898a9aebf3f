import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import {
  isRouteErrorResponse,
  Links,
  LiveReload,
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
import { isLabPath, requireLab, shortSessionId } from "~/lab.server";
import stylesheet from "~/tailwind.css";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: stylesheet },
  { rel: "icon", href: "/favicon.svg", type: "image/svg+xml" },
];

export const meta: MetaFunction = () => [
  { title: "Shelfwise · sessions that commit themselves" },
  { name: "description", content: "A Remix stack whose sessions commit themselves." },
];

/** Shown after sign out (app/routes/logout.tsx), which deletes the session and writes nothing more. */
const SIGNED_OUT =
  "Signed out. Your session was deleted, and your theme and density with it: they are back to light and comfortable.";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { session, lab } = context;
  const url = new URL(request.url);
  // With LAB_ROUTES off a lab page must answer as an unknown URL does: 404, and no visit written.
  if (isLabPath(url.pathname)) requireLab(context);
  const visits = (session.get("visits") ?? 0) + 1;
  session.set("visits", visits);
  // Taken before the flash is read below (reading deletes it), so the inspector can show it once.
  const sessionData = session.data;
  return json({
    notice: session.get("notice") ?? (url.searchParams.has("signed-out") && !session.has("user") ? SIGNED_OUT : null),
    user: session.get("user") ?? null,
    theme: session.get("theme") ?? "light",
    density: session.get("density") ?? "comfortable",
    visits,
    sessionData,
    sessionId: shortSessionId(session.id),
    labRoutes: Boolean(lab),
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
        {/* Connects to `remix dev` so an edit reloads the page; renders nothing outside development. */}
        <LiveReload />
      </body>
    </html>
  );
}

export default function App() {
  const { notice, user, density, visits, sessionData, sessionId, labRoutes } = useLoaderData<typeof loader>();
  return (
    <div className={density === "compact" ? "text-sm" : undefined}>
      <AppHeader user={user} visits={visits} labRoutes={labRoutes} />
      <div className="mx-auto grid max-w-6xl gap-8 px-4 py-8 lg:grid-cols-[1fr_20rem]">
        <main className="min-w-0">
          {notice ? <Notice>{notice}</Notice> : null}
          <Outlet />
        </main>
        <SessionInspector initialData={sessionData} sessionId={sessionId} live={labRoutes} />
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
