import { useFetcher, useLocation, useNavigation } from "@remix-run/react";
import { useEffect, useRef } from "react";

type SessionRecord = Record<string, unknown>;

const FLASH = /^__flash_(.+)__$/;
/** Values longer than this, as JSON, are cut off in the list and open in full on demand. */
const SHORT = 24;
// mark:x-2 before mark:x-10, as a person sorts them.
const naturalOrder = new Intl.Collator("en", { numeric: true }).compare;

/**
 * Shows what the session holds. `initialData` is what the root loader read, taken before it read the
 * flash (which deletes it). With the lab on (`live`), the inspector re-reads the merged session from
 * `/lab/inspect` after each navigation, since the page's own loaders run alongside the root loader
 * and commit after it read; without the lab there is no such route, and it shows the root's read.
 */
export function SessionInspector({
  initialData,
  sessionId,
  live,
}: {
  initialData: SessionRecord;
  /** The start of the session's id, or null for a session never stored under one. */
  sessionId: string | null;
  live: boolean;
}) {
  const fetcher = useFetcher<{ data: SessionRecord; sessionId: string | null }>({ key: "session-inspector" });
  const navigation = useNavigation();
  const location = useLocation();
  const load = useRef(fetcher.load);
  load.current = fetcher.load;

  useEffect(() => {
    if (live && navigation.state === "idle") load.current("/lab/inspect");
  }, [live, navigation.state, location.key]);

  const fresh = live ? fetcher.data : undefined;
  const data = fresh?.data ?? initialData;
  const id = fresh ? fresh.sessionId : sessionId;
  const keys = new Set(Object.keys(data));
  // A flash the root loader found was shown by this page and deleted; keep it in view once.
  for (const key of Object.keys(initialData)) if (FLASH.test(key)) keys.add(key);
  const entries = [...keys].sort(naturalOrder).map((key) => [key, key in data ? data[key] : initialData[key]] as const);

  return (
    <aside
      aria-labelledby="inspector-title"
      aria-describedby="inspector-caption"
      className="h-fit rounded-xl border border-slate-200 bg-white p-4 shadow-sm lg:sticky lg:top-6 dark:border-slate-800 dark:bg-slate-900"
    >
      <div className="flex items-baseline justify-between">
        <h2 id="inspector-title" className="text-sm font-semibold uppercase tracking-wide text-slate-500">
          Session inspector
        </h2>
        <span className="text-xs text-slate-400" data-testid="inspector-count">
          {entries.length} {entries.length === 1 ? "key" : "keys"}
        </span>
      </div>
      <p
        id="inspector-caption"
        className="mt-2 text-xs text-slate-500 dark:text-slate-400"
        data-testid="inspector-caption"
      >
        {live
          ? "What the server keeps in this browser's session, read again after every page so the writes of all its loaders show."
          : "What this browser's session held when the page's root loader read it. The page's other loaders write at the same time, so their changes show on the next page."}{" "}
        Session id{" "}
        <code className="font-mono text-slate-700 dark:text-slate-300" data-testid="session-id">
          {id ?? "none yet"}
        </code>
        {id
          ? " (shortened; it changes when you sign in)."
          : " (a new session, or the cookie store, which keeps no id)."}
      </p>
      {entries.length === 0 ? (
        <p className="mt-3 text-sm text-slate-500">The session is empty.</p>
      ) : (
        <dl className="mt-3 space-y-2 text-sm" data-testid="session-inspector">
          {entries.map(([key, value]) => {
            const flash = FLASH.exec(key);
            // The root loader reads every flash it finds: one in its read was shown by this page.
            const shown = key in initialData;
            const json = JSON.stringify(value);
            return (
              <div key={key} className="grid grid-cols-[minmax(0,2fr)_minmax(0,3fr)] gap-2">
                <dt className="truncate font-mono text-xs text-slate-500" title={key}>
                  {flash ? (
                    <>
                      {flash[1]}{" "}
                      <span
                        className="rounded bg-amber-100 px-1 text-amber-800"
                        data-testid="flash-badge"
                        title={
                          shown
                            ? "A flash: this page showed it, and reading it deleted it from the session."
                            : "A flash nobody has read yet: the next page to read it shows it once."
                        }
                      >
                        {shown ? "flash, read once" : "flash"}
                      </span>
                    </>
                  ) : (
                    key
                  )}
                </dt>
                <dd className="min-w-0 font-mono text-xs">
                  {json.length <= SHORT ? (
                    json
                  ) : (
                    <details className="group">
                      <summary
                        className="block cursor-pointer truncate group-open:text-slate-400"
                        title="Show the whole value"
                      >
                        {json}
                      </summary>
                      <pre className="mt-1 max-h-64 overflow-auto whitespace-pre-wrap break-all rounded bg-slate-50 p-2 dark:bg-slate-950">
                        {JSON.stringify(value, null, 2)}
                      </pre>
                    </details>
                  )}
                </dd>
              </div>
            );
          })}
        </dl>
      )}
    </aside>
  );
}
