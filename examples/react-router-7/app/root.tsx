import { Form, Link, Links, Meta, Outlet, Scripts, ScrollRestoration } from "react-router";

import { sessionContext, sessionMiddleware } from "./session.server";

import type { Route } from "./+types/root";

/** Every request, documents and data requests alike, gets its session here. */
export const middleware: Route.MiddlewareFunction[] = [sessionMiddleware];

/** Counts page loads, and hands the page the user and the flash (read once, so it shows once). */
export async function loader({ context }: Route.LoaderArgs) {
  const { session } = context.get(sessionContext);
  const visits = (session.get("visits") ?? 0) + 1;
  session.set("visits", visits);
  return { visits, user: session.get("user") ?? null, notice: session.get("notice") ?? null };
}

export function Layout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        {/* No favicon: the browser asks for none, so no request reaches the router for it. */}
        <link rel="icon" href="data:," />
        <title>auto-commit-session on React Router 7</title>
        <Meta />
        <Links />
      </head>
      <body style={{ fontFamily: "system-ui, sans-serif", maxWidth: "40rem", margin: "2rem auto" }}>
        {children}
        <ScrollRestoration />
        <Scripts />
      </body>
    </html>
  );
}

export default function App({ loaderData }: Route.ComponentProps) {
  const { visits, user, notice } = loaderData;
  return (
    <>
      <header>
        <Link to="/">Home</Link> · <span data-testid="visits">Visits: {visits}</span> ·{" "}
        {user ? (
          <Form method="post" action="/logout" style={{ display: "inline" }}>
            <span data-testid="user">Signed in as {user.name}</span> <button type="submit">Sign out</button>
          </Form>
        ) : (
          <Link to="/login">Sign in</Link>
        )}
      </header>
      {notice ? (
        <p role="status" data-testid="notice">
          {notice}
        </p>
      ) : null}
      <Outlet />
    </>
  );
}
