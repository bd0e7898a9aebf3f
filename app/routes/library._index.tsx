import { useRouteLoaderData } from "@remix-run/react";

import type { loader as rootLoader } from "~/root";

export default function LibraryIndex() {
  const root = useRouteLoaderData<typeof rootLoader>("root");
  const last = root?.sessionData.lastShelf;
  return (
    <p className="text-slate-600 dark:text-slate-400">
      Pick a shelf. {typeof last === "string" ? `You last opened “${last}”.` : "Your session remembers the last one."}
    </p>
  );
}
