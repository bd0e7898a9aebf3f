import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, isRouteErrorResponse, Link, useFetcher, useLoaderData, useRouteError } from "@remix-run/react";
import { useCallback, useEffect, useRef, useState } from "react";

import { WRITERS, type Room } from "~/lab-context";
import { requireLab, roomOf } from "~/lab.server";

export async function loader({ context }: LoaderFunctionArgs) {
  const lab = requireLab(context);
  return json({ room: roomOf(context.session.data as Record<string, unknown>, lab) });
}

type Side = "merge" | "whole";
const SIDES: Side[] = ["merge", "whole"];

/** What `/lab/merge/:key` and `/lab/whole/:key` answer. */
type Write = { ok: true; key: string; readAt: number; committedAt: number; saw: number } | { ok: false; error: string };
type Tally = { run: string; merge: string[]; whole: string[]; room: Room };
type Writes = Record<Side, (Write | undefined)[]>;

const noWrites = (): Writes => ({ merge: Array(WRITERS).fill(undefined), whole: Array(WRITERS).fill(undefined) });
const numbers = Array.from({ length: WRITERS }, (_, index) => index + 1);

function size(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`;
}

export default function ConcurrencyLab() {
  const loaded = useLoaderData<typeof loader>();
  const [run, setRun] = useState<string | null>(null);
  const [writes, setWrites] = useState<Writes>(noWrites);
  const [room, setRoom] = useState<Room>(loaded.room);
  const tally = useFetcher<Tally>();
  const reset = useFetcher<{ removed: number; room: Room }>();
  const inspector = useFetcher({ key: "session-inspector" });
  const loaders = useRef({ tally: tally.load, inspector: inspector.load });
  loaders.current = { tally: tally.load, inspector: inspector.load };

  const answered = SIDES.reduce((count, side) => count + writes[side].filter(Boolean).length, 0);
  const counted = run !== null && tally.data?.run === run ? tally.data : null;

  useEffect(() => setRoom(loaded.room), [loaded.room]);
  useEffect(() => {
    if (!reset.data) return;
    setRoom(reset.data.room);
    loaders.current.inspector("/lab/inspect");
  }, [reset.data]);
  useEffect(() => {
    if (run && answered === 2 * WRITERS) loaders.current.tally(`/lab/tally?run=${encodeURIComponent(run)}`);
  }, [run, answered]);
  useEffect(() => {
    if (!counted) return;
    setRoom(counted.room);
    // Show the merged result in the session inspector as well.
    loaders.current.inspector("/lab/inspect");
  }, [counted]);

  const report = useCallback((side: Side, index: number, write: Write) => {
    setWrites((current) => ({ ...current, [side]: current[side].map((old, at) => (at === index ? write : old)) }));
  }, []);

  const running = run !== null && !counted;
  const resetting = reset.state !== "idle";
  const full = room.runsLeft === 0;

  return (
    <div className="space-y-6">
      <header>
        <p className="text-sm font-semibold text-indigo-600 dark:text-indigo-400">Concurrency lab</p>
        <h1 className="mt-1 text-3xl font-bold tracking-tight">
          Twenty writes at the same moment. Which commit keeps them?
        </h1>
        <p className="mt-3 max-w-3xl text-slate-600 dark:text-slate-400">
          One click fires {WRITERS} fetchers at this stack&apos;s merge commit and {WRITERS} at a whole-session commit,
          all at once. Each request sets one key of its own in the session it read. Real requests, counted afterwards
          from what each session kept.
        </p>
      </header>

      <div className="flex flex-wrap items-center gap-3">
        <button
          type="button"
          disabled={running || resetting || full}
          onClick={() => {
            setWrites(noWrites());
            setRun(Math.random().toString(36).slice(2, 8).padEnd(6, "0"));
          }}
          className="rounded-md bg-indigo-600 px-4 py-2 font-medium text-white shadow-sm hover:bg-indigo-500 disabled:opacity-60"
        >
          {running ? "Writing…" : `Fire ${WRITERS} fetchers at once`}
        </button>
        <reset.Form method="post" action="/lab/reset" onSubmit={() => setRun(null)}>
          <button
            type="submit"
            disabled={running || resetting}
            className="rounded-md border border-slate-300 bg-white px-4 py-2 font-medium hover:bg-slate-100 disabled:opacity-60 dark:border-slate-700 dark:bg-slate-900 dark:hover:bg-slate-800"
          >
            {resetting ? "Resetting…" : "Reset the lab"}
          </button>
        </reset.Form>
        <RoomMeter room={room} />
      </div>
      <noscript>
        <p className="text-sm text-amber-700">
          The lab needs JavaScript to run fetchers; the rest of the app works without it.
        </p>
      </noscript>
      {reset.data && !run ? (
        <p role="status" data-testid="lab-reset" className="text-sm text-slate-600 dark:text-slate-400">
          Reset: removed {reset.data.removed} {reset.data.removed === 1 ? "key" : "keys"} and the scratch session.
        </p>
      ) : null}
      {full ? <FullNotice room={room} /> : null}

      <div className="grid gap-4 md:grid-cols-2">
        {SIDES.map((side) => (
          <SideCard key={side} side={side} room={room} run={run} writes={writes[side]} kept={counted?.[side] ?? null} />
        ))}
      </div>

      {run && answered > 0 ? <Timeline writes={writes} counted={counted} /> : null}

      <section className="rounded-xl border border-slate-200 bg-white p-5 text-sm text-slate-600 shadow-sm dark:border-slate-800 dark:bg-slate-900 dark:text-slate-400">
        <h2 className="font-semibold text-slate-900 dark:text-slate-100">More to try</h2>
        <ul className="mt-2 list-disc space-y-1 pl-5">
          <li>
            <Link to="/lab/deferred" className="text-indigo-600 underline dark:text-indigo-400">
              Deferred data
            </Link>
            : a change made while the page streams comes after the cookie was sent, so it is lost. Crawlers get the
            whole page before the commit, so for them it is saved.
          </li>
          <li>
            These pages exist while <code className="font-mono">LAB_ROUTES</code> is on: by default in development and
            tests, never in production unless set.
          </li>
        </ul>
      </section>

      {run
        ? numbers.flatMap((number, index) =>
            SIDES.map((side) => (
              <Writer
                key={`${run}-${side}-${number}`}
                side={side}
                index={index}
                path={`/lab/${side}/${run}-${number}`}
                report={report}
              />
            )),
          )
        : null}
    </div>
  );
}

/** One fetcher of a run: loads its path once and reports the answer. Renders nothing. */
function Writer({
  side,
  index,
  path,
  report,
}: {
  side: Side;
  index: number;
  path: string;
  report: (side: Side, index: number, write: Write) => void;
}) {
  const fetcher = useFetcher<Write>();
  const started = useRef(false);
  const reported = useRef(false);
  const load = useRef(fetcher.load);
  load.current = fetcher.load;

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    load.current(path);
  }, [path]);

  useEffect(() => {
    if (fetcher.state === "idle" && fetcher.data && !reported.current) {
      reported.current = true;
      report(side, index, fetcher.data);
    }
  }, [fetcher.state, fetcher.data, report, side, index]);

  return null;
}

const SIDE_TEXT: Record<Side, { eyebrow: string; title: string; how: (room: Room) => string }> = {
  merge: {
    eyebrow: "This stack",
    title: "Merge commit",
    how: (room) => `context.session on the ${room.store} store: each commit applies only the key its request set`,
  },
  whole: {
    eyebrow: "For comparison",
    title: "Whole-session commit",
    how: () => "Remix's createCookieSessionStorage on a scratch session: each response writes the session back whole",
  },
};

function SideCard({
  side,
  room,
  run,
  writes,
  kept,
}: {
  side: Side;
  room: Room;
  run: string | null;
  writes: (Write | undefined)[];
  kept: string[] | null;
}) {
  const text = SIDE_TEXT[side];
  const count = kept?.length ?? null;
  const all = count === WRITERS;
  const subject = side === "merge" ? "The session" : "The scratch session";
  const readEmpty = writes.filter((write) => write?.ok && write.saw === 0).length;
  return (
    <section
      aria-labelledby={`${side}-title`}
      data-testid={`${side}-side`}
      className={`rounded-xl border bg-white p-5 shadow-sm dark:bg-slate-900 ${
        count === null
          ? "border-slate-200 dark:border-slate-800"
          : all
            ? "border-emerald-300 dark:border-emerald-800"
            : "border-rose-300 dark:border-rose-800"
      }`}
    >
      <p className="text-xs font-semibold uppercase tracking-wide text-slate-500">{text.eyebrow}</p>
      <h2 id={`${side}-title`} className="text-lg font-semibold">
        {text.title}
      </h2>
      <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">{text.how(room)}</p>
      <p className="mt-4 flex items-baseline gap-2">
        <span
          data-testid={`${side}-count`}
          className={`text-6xl font-bold tabular-nums ${
            count === null ? "text-slate-300 dark:text-slate-700" : all ? "text-emerald-600" : "text-rose-600"
          }`}
        >
          {count ?? "–"}
        </span>
        <span className="text-2xl font-semibold text-slate-400">/ {WRITERS} kept</span>
      </p>
      <p className="mt-1 text-sm" data-testid={side === "merge" ? "lab-result" : "whole-result"}>
        {run === null
          ? "Not run yet."
          : count === null
            ? "Waiting for the writes…"
            : `${subject} kept ${count} of ${WRITERS} writes.`}
      </p>
      <ol className="mt-4 grid grid-cols-10 gap-1.5" aria-label={`${text.title}: each writer`}>
        {numbers.map((number, index) => {
          const write = writes[index];
          const state = !write
            ? run
              ? "pending"
              : "idle"
            : !write.ok
              ? "failed"
              : kept === null
                ? "answered"
                : kept.includes(String(number))
                  ? "kept"
                  : "lost";
          return (
            <li
              key={number}
              title={`Writer ${number}: ${state}`}
              data-state={state}
              className={`rounded py-1 text-center font-mono text-xs ${CHIP[state]}`}
            >
              {number}
            </li>
          );
        })}
      </ol>
      {count !== null ? (
        <p className="mt-4 text-sm text-slate-600 dark:text-slate-400">
          {side === "whole"
            ? `${readEmpty} of the ${WRITERS} requests read a copy holding none of this run's keys: the cookie the browser held when they were sent. Each answer carried its whole copy back, and the browser kept the one that arrived last. A server-side store that writes the session whole (Remix's createSessionStorage, express-session) loses writes the same way whenever requests overlap between their read and their write: across processes, or on an asynchronous store such as Redis.`
            : room.merges
              ? "The session lives in the store, not in the responses: each commit applies only its request's own change, onto whatever the store holds at that moment, so however the requests interleave (the timeline shows how they did), none undoes another."
              : room.store === "cookie"
                ? "The cookie store cannot merge either: the whole session travels in each response's cookie, and the browser keeps the last one. With SESSION_STORE=sqlite or redis this side keeps all of them."
                : `The ${room.store} store cannot merge: it has no atomic update, so commits running at the same time overwrite each other.`}
        </p>
      ) : null}
    </section>
  );
}

const CHIP = {
  idle: "bg-slate-100 text-slate-400 dark:bg-slate-800",
  pending: "animate-pulse bg-slate-200 text-slate-500 dark:bg-slate-700",
  answered: "bg-sky-100 text-sky-800 dark:bg-sky-900 dark:text-sky-100",
  kept: "bg-emerald-100 text-emerald-800 dark:bg-emerald-900 dark:text-emerald-100",
  lost: "bg-rose-100 text-rose-800 line-through dark:bg-rose-950 dark:text-rose-200",
  failed: "bg-amber-100 text-amber-900 dark:bg-amber-950 dark:text-amber-100",
} as const;

/** When each request read its session and committed, on the server's clock, both sides on one axis. */
function Timeline({ writes, counted }: { writes: Writes; counted: Tally | null }) {
  const points = SIDES.flatMap((side) => writes[side]).filter((write) => write?.ok) as Extract<Write, { ok: true }>[];
  if (points.length === 0) return null;
  const start = Math.min(...points.map((write) => write.readAt));
  const span = Math.max(Math.max(...points.map((write) => write.committedAt)) - start, 1);
  const at = (time: number) => `${((time - start) / span) * 100}%`;
  return (
    <section
      aria-labelledby="timeline-title"
      data-testid="lab-timeline"
      className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm dark:border-slate-800 dark:bg-slate-900"
    >
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 id="timeline-title" className="font-semibold">
          Timeline
        </h2>
        <p className="text-xs text-slate-500">
          Server clock, {span.toFixed(1)} ms from the first read to the last commit. ● read the session · ▮ until its
          commit · “saw n”: keys of this run already in the copy it read.
        </p>
      </div>
      {SIDES.map((side) => (
        <div key={side} className="mt-4">
          <h3 className="text-xs font-semibold uppercase tracking-wide text-slate-500">{SIDE_TEXT[side].title}</h3>
          <ol className="mt-1 space-y-0.5">
            {writes[side].map((write, index) => {
              if (!write?.ok) return null;
              const number = index + 1;
              const kept = counted ? counted[side].includes(String(number)) : null;
              const color = kept === null ? "bg-sky-500" : kept ? "bg-emerald-500" : "bg-rose-500";
              return (
                <li key={number} className="grid grid-cols-[2rem_1fr_3.5rem] items-center gap-2 text-[10px] leading-3">
                  <span className="text-right font-mono text-slate-400">#{number}</span>
                  <span className="relative h-3 rounded bg-slate-100 dark:bg-slate-800">
                    <span
                      className={`absolute top-0.5 h-2 rounded-sm opacity-60 ${color}`}
                      style={{
                        left: at(write.readAt),
                        width: `max(3px, ${((write.committedAt - write.readAt) / span) * 100}%)`,
                      }}
                    />
                    <span
                      className={`absolute top-0.5 h-2 w-2 -translate-x-1 rounded-full ${color}`}
                      style={{ left: at(write.readAt) }}
                    />
                  </span>
                  <span className="font-mono text-slate-500">saw {write.saw}</span>
                </li>
              );
            })}
          </ol>
        </div>
      ))}
      <p className="mt-3 text-xs text-slate-500">
        The whole-session side commits inside its request (<code className="font-mono">commitSession</code>); on the
        merge side the server commits as the response leaves, right after the moment shown.
      </p>
    </section>
  );
}

function RoomMeter({ room }: { room: Room }) {
  const share = Math.min(room.bytes / room.limit, 1);
  return (
    <div className="min-w-56 flex-1 text-xs text-slate-500 sm:max-w-xs" data-testid="lab-room">
      <div className="flex justify-between">
        <span>Session size</span>
        <span className="tabular-nums">
          {size(room.bytes)} of {size(room.limit)}
        </span>
      </div>
      <div
        className="mt-1 h-2 overflow-hidden rounded bg-slate-200 dark:bg-slate-800"
        role="meter"
        aria-label="Session size"
        aria-valuemin={0}
        aria-valuemax={room.limit}
        aria-valuenow={room.bytes}
      >
        <div
          className={`h-full ${room.runsLeft === 0 ? "bg-rose-500" : share > 0.75 ? "bg-amber-500" : "bg-indigo-500"}`}
          style={{ width: `${share * 100}%` }}
        />
      </div>
      <p className="mt-1">
        {room.labKeys} lab {room.labKeys === 1 ? "key" : "keys"} ·{" "}
        {room.runsLeft === 0
          ? "no room for another run"
          : `room for ${room.runsLeft} more ${room.runsLeft === 1 ? "run" : "runs"}`}
      </p>
    </div>
  );
}

function FullNotice({ room }: { room: Room }) {
  return (
    <div
      role="alert"
      data-testid="lab-full"
      className="rounded-xl border border-amber-300 bg-amber-50 p-4 text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100"
    >
      <p className="font-semibold">The session is nearly full.</p>
      <p className="mt-1 text-sm">
        It holds {size(room.bytes)} of the {size(room.limit)} the {room.store} store accepts, and one more run adds
        about {size(room.perRun)}. A session past its limit can no longer be saved, so every page would fail. Reset the
        lab to remove its {room.labKeys} {room.labKeys === 1 ? "key" : "keys"}, then run it again.
      </p>
    </div>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  const detail = isRouteErrorResponse(error)
    ? typeof error.data === "object" && error.data && "detail" in error.data
      ? String(error.data.detail)
      : `${error.status} ${error.statusText}`
    : error instanceof Error
      ? error.message
      : "Something went wrong.";
  return (
    <div
      role="alert"
      className="max-w-2xl rounded-xl border border-rose-300 bg-rose-50 p-5 text-rose-900 dark:border-rose-800 dark:bg-rose-950 dark:text-rose-100"
    >
      <h1 className="text-lg font-semibold">The lab could not finish this run</h1>
      <p className="mt-2 text-sm">{detail}</p>
      <Form method="post" action="/lab/reset" className="mt-4">
        <input type="hidden" name="then" value="lab" />
        <button type="submit" className="rounded-md bg-rose-600 px-4 py-2 font-medium text-white hover:bg-rose-500">
          Reset the lab
        </button>
      </Form>
    </div>
  );
}
