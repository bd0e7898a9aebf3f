import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";

import { findShelf } from "~/data/shelves";
import { timesOf } from "~/data/wording";

export async function loader({ params, context: { session } }: LoaderFunctionArgs) {
  const shelf = findShelf(params.shelf);
  if (!shelf) throw json({ detail: "There is no such shelf." }, { status: 404 });
  const shelfLoads = (session.get("shelfLoads") ?? 0) + 1;
  session.set("shelfLoads", shelfLoads);
  session.set("lastShelf", shelf.slug);
  return json({ shelf, shelfLoads });
}

export const shouldRevalidate = () => true;

export default function ShelfPage() {
  const { shelf, shelfLoads } = useLoaderData<typeof loader>();
  return (
    <section className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm dark:border-slate-800 dark:bg-slate-900">
      <div className="flex items-baseline justify-between">
        <h2 className="text-xl font-semibold">{shelf.title}</h2>
        <span className="text-sm text-slate-500" data-testid="shelf-loads">
          Shelf loader ran {timesOf(shelfLoads)}
        </span>
      </div>
      <ul className="mt-4 divide-y divide-slate-100 dark:divide-slate-800">
        {shelf.books.map((book) => (
          <li key={book.title} className="py-2">
            <span className="font-medium">{book.title}</span>
            <span className="text-slate-500"> · {book.author}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
