import { useFetcher } from "@remix-run/react";
import { useEffect, useRef, useState } from "react";

const WRITERS = 20;

type MarkResult = { ok: boolean; key: string };

export default function ConcurrencyLab() {
  const [run, setRun] = useState<string | null>(null);
  const [done, setDone] = useState(0);
  const check = useFetcher<Record<string, unknown>>();
  const inspector = useFetcher({ key: "session-inspector" });
  const loaders = useRef({ check: check.load, inspector: inspector.load });
  loaders.current = { check: check.load, inspector: inspector.load };

  useEffect(() => {
    if (run && done === WRITERS) loaders.current.check("/lab/session");
  }, [run, done]);
  // Show the merged result in the session inspector as well.
  useEffect(() => {
    if (check.data) loaders.current.inspector("/lab/session");
  }, [check.data]);

  const kept = run && check.data ? Object.keys(check.data).filter((key) => key.startsWith(`mark:${run}-`)).length : null;
  const running = run !== null && (done < WRITERS || check.state !== "idle" || kept === null);

  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-bold">Concurrency lab</h1>
        <p className="mt-2 max-w-2xl text-slate-600 dark:text-slate-400">
          One click starts {WRITERS} fetchers at the same moment. Each loads <code className="font-mono">/lab/mark/:key</code>,
          whose loader writes its own session key. A store that writes the whole session back would keep only a few; this
          one merges each request&apos;s changes.
        </p>
      </div>
      <button
        type="button"
        disabled={running}
        onClick={() => {
          setDone(0);
          setRun(Math.random().toString(36).slice(2, 8));
        }}
        className="rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-500 disabled:opacity-60"
      >
        {running ? "Writing…" : `Fire ${WRITERS} fetchers at once`}
      </button>
      <noscript>
        <p className="text-sm text-amber-700">The lab needs JavaScript to run fetchers; the rest of the app works without it.</p>
      </noscript>
      {run ? (
        <div className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm dark:border-slate-800 dark:bg-slate-900">
          <p className="text-lg" data-testid="lab-result">
            {kept === null || running ? "Waiting for the writes…" : `The session kept ${kept} of ${WRITERS} writes.`}
          </p>
          <ol className="mt-4 grid grid-cols-5 gap-2 sm:grid-cols-10">
            {Array.from({ length: WRITERS }, (_, index) => (
              <Writer key={`${run}-${index}`} run={run} index={index} onDone={() => setDone((count) => count + 1)} />
            ))}
          </ol>
        </div>
      ) : null}
    </div>
  );
}

function Writer({ run, index, onDone }: { run: string; index: number; onDone: () => void }) {
  const fetcher = useFetcher<MarkResult>();
  const started = useRef(false);
  const reported = useRef(false);
  const load = useRef(fetcher.load);
  load.current = fetcher.load;

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    load.current(`/lab/mark/${run}-${index}`);
  }, [run, index]);

  const ok = fetcher.data?.ok === true;
  useEffect(() => {
    if (fetcher.state === "idle" && fetcher.data && !reported.current) {
      reported.current = true;
      onDone();
    }
  }, [fetcher.state, fetcher.data, onDone]);

  return (
    <li
      className={`rounded-md px-2 py-1 text-center font-mono text-xs ${
        ok ? "bg-emerald-100 text-emerald-800 dark:bg-emerald-900 dark:text-emerald-100" : "bg-slate-100 text-slate-500 dark:bg-slate-800"
      }`}
    >
      {index + 1}
    </li>
  );
}
