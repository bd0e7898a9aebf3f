import { useRouteLoaderData } from "@remix-run/react";

import { findShelf } from "~/data/shelves";
import type { loader as rootLoader } from "~/root";

export default function LibraryIndex() {
  const root = useRouteLoaderData<typeof rootLoader>("root");
  const slug = root?.sessionData.lastShelf;
  const last = typeof slug === "string" ? findShelf(slug) : undefined;
  return (
    <p className="text-slate-600 dark:text-slate-400" data-testid="last-shelf">
      Pick a shelf. {last ? `You last opened the ${last.title} shelf.` : "Your session remembers the last one."}
    </p>
  );
}
