import { useFetcher, useLocation, useNavigation } from "@remix-run/react";
import { useEffect, useRef } from "react";

type SessionRecord = Record<string, unknown>;

const FLASH = /^__flash_(.+)__$/;

/**
 * Shows what the session holds. The page's own loaders run at the same time as the root loader that
 * rendered this, so after each navigation it re-reads the merged result from `/lab/session`.
 */
export function SessionInspector({ initialData }: { initialData: SessionRecord }) {
  const fetcher = useFetcher<SessionRecord>({ key: "session-inspector" });
  const navigation = useNavigation();
  const location = useLocation();
  const load = useRef(fetcher.load);
  load.current = fetcher.load;

  useEffect(() => {
    if (navigation.state === "idle") load.current("/lab/session");
  }, [navigation.state, location.key]);

  const data = fetcher.data ?? initialData;
  const entries = Object.entries(data).sort(([a], [b]) => a.localeCompare(b));

  return (
    <aside
      aria-labelledby="inspector-title"
      className="h-fit rounded-xl border border-slate-200 bg-white p-4 shadow-sm lg:sticky lg:top-6 dark:border-slate-800 dark:bg-slate-900"
    >
      <div className="flex items-baseline justify-between">
        <h2 id="inspector-title" className="text-sm font-semibold uppercase tracking-wide text-slate-500">
          Session inspector
        </h2>
        <span className="text-xs text-slate-400">{entries.length} keys</span>
      </div>
      {entries.length === 0 ? (
        <p className="mt-3 text-sm text-slate-500">The session is empty.</p>
      ) : (
        <dl className="mt-3 space-y-2 text-sm" data-testid="session-inspector">
          {entries.map(([key, value]) => {
            const flash = FLASH.exec(key);
            return (
              <div key={key} className="grid grid-cols-[minmax(0,2fr)_minmax(0,3fr)] gap-2">
                <dt className="truncate font-mono text-xs text-slate-500" title={key}>
                  {flash ? (
                    <>
                      {flash[1]} <span className="rounded bg-amber-100 px-1 text-amber-800">flash</span>
                    </>
                  ) : (
                    key
                  )}
                </dt>
                <dd className="truncate font-mono text-xs" title={JSON.stringify(value)}>
                  {JSON.stringify(value)}
                </dd>
              </div>
            );
          })}
        </dl>
      )}
    </aside>
  );
}
