import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { NavLink, Outlet, useLoaderData } from "@remix-run/react";

import { shelves } from "~/data/shelves";
import { timesOf } from "~/data/wording";

export async function loader({ context: { session } }: LoaderFunctionArgs) {
  const libraryLoads = (session.get("libraryLoads") ?? 0) + 1;
  session.set("libraryLoads", libraryLoads);
  return json({ libraryLoads, shelves: shelves.map(({ slug, title }) => ({ slug, title })) });
}

// The layout's loader runs on every navigation inside it, in parallel with the shelf's loader.
export const shouldRevalidate = () => true;

export default function Library() {
  const { libraryLoads, shelves } = useLoaderData<typeof loader>();
  return (
    <div>
      <div className="flex items-baseline justify-between">
        <h1 className="text-2xl font-bold">Library</h1>
        <span className="text-sm text-slate-500" data-testid="library-loads">
          Layout loader ran {timesOf(libraryLoads)}
        </span>
      </div>
      <nav className="mt-4 flex gap-2" aria-label="Shelves">
        {shelves.map((shelf) => (
          <NavLink
            key={shelf.slug}
            to={shelf.slug}
            className={({ isActive }) =>
              `rounded-full border px-4 py-1.5 text-sm ${
                isActive
                  ? "border-indigo-600 bg-indigo-600 text-white"
                  : "border-slate-300 hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800"
              }`
            }
          >
            {shelf.title}
          </NavLink>
        ))}
      </nav>
      <div className="mt-6">
        <Outlet />
      </div>
    </div>
  );
}
