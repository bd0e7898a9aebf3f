import { Form, NavLink } from "@remix-run/react";

const links = [
  { to: "/", label: "Home" },
  { to: "/library", label: "Library" },
  { to: "/preferences", label: "Preferences" },
  { to: "/lab", label: "Concurrency lab" },
];

// The counter is the root loader's session write; it runs on every navigation, so that is what it counts.
const VISITS_EXPLAINED =
  "Pages opened in this session: the root loader adds one on every navigation, client-side ones included, and saves it in the session.";

export function AppHeader({
  user,
  visits,
  labRoutes,
}: {
  user: { name: string } | null;
  visits: number;
  /** Whether the lab's routes exist (LAB_ROUTES); its link is shown only then. */
  labRoutes: boolean;
}) {
  return (
    <header className="border-b border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
      <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3">
        <NavLink to="/" className="text-lg font-bold tracking-tight text-indigo-600 dark:text-indigo-400">
          Shelfwise
        </NavLink>
        <nav className="flex flex-wrap gap-1" aria-label="Main">
          {links
            .filter((link) => labRoutes || link.to !== "/lab")
            .map((link) => (
              <NavLink
                key={link.to}
                to={link.to}
                end={link.to === "/"}
                className={({ isActive }) =>
                  `rounded-md px-3 py-1.5 text-sm font-medium ${
                    isActive
                      ? "bg-indigo-50 text-indigo-700 dark:bg-indigo-950 dark:text-indigo-300"
                      : "text-slate-600 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800"
                  }`
                }
              >
                {link.label}
              </NavLink>
            ))}
        </nav>
        <div className="ml-auto flex items-center gap-3 text-sm">
          {/* data-testid last: tests read the text right after it in server-rendered HTML. */}
          <span
            className="cursor-help text-slate-500 underline decoration-dotted underline-offset-4 dark:text-slate-400"
            title={VISITS_EXPLAINED}
            aria-describedby="visits-explained"
            data-testid="visits"
          >
            {visits} {visits === 1 ? "visit" : "visits"}
          </span>
          <span id="visits-explained" className="sr-only">
            {VISITS_EXPLAINED}
          </span>
          {user ? (
            <Form method="post" action="/logout" className="flex items-center gap-3">
              <span data-testid="user">Signed in as {user.name}</span>
              <button
                type="submit"
                className="rounded-md border border-slate-300 px-3 py-1.5 hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800"
              >
                Sign out
              </button>
            </Form>
          ) : (
            <NavLink
              to="/login"
              className="rounded-md bg-indigo-600 px-3 py-1.5 font-medium text-white hover:bg-indigo-500"
            >
              Sign in
            </NavLink>
          )}
        </div>
      </div>
    </header>
  );
}
