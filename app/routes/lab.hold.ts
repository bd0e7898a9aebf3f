import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";

import { requireLab } from "~/lab.server";

const LIMIT_MS = 10_000;

interface Hold {
  held: Promise<void>;
  released: Promise<void>;
  markHeld: () => void;
  release: () => void;
}

const holds = new Map<string, Hold>();

function holdFor(key: string): Hold {
  let hold = holds.get(key);
  if (!hold) {
    let markHeld = () => {};
    let release = () => {};
    const held = new Promise<void>((resolve) => (markHeld = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    hold = { held, released, markHeld, release };
    holds.set(key, hold);
  }
  return hold;
}

/** True when `promise` settled within the limit. */
function within(promise: Promise<void>): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), LIMIT_MS)));
  return Promise.race([promise.then(() => true), timeout]).finally(() => clearTimeout(timer));
}

function keyOf(value: unknown): string | null {
  return typeof value === "string" && value.length > 0 && value.length <= 200 ? value : null;
}

/** GET /lab/hold?key=K[&mark=M] blocks until POST /lab/hold key=K releases it (intent=wait: only await K being held), then sets `mark:M` (ISO time) in the session it read before blocking; 10 s bound each. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  requireLab(context);
  const { session } = context;
  const params = new URL(request.url).searchParams;
  const key = keyOf(params.get("key"));
  if (!key) return json({ error: "The key must be 1 to 200 characters." }, { status: 400 });
  const mark = params.has("mark") ? keyOf(params.get("mark")) : null;
  if (params.has("mark") && !mark) return json({ error: "The mark must be 1 to 200 characters." }, { status: 400 });
  const hold = holdFor(key);
  hold.markHeld();
  const released = await within(hold.released);
  holds.delete(key);
  if (!released) return json({ error: `Hold ${key} was never released.` }, { status: 504 });
  if (mark) session.set(`mark:${mark}`, new Date().toISOString());
  return json({ released: key });
}

export async function action({ request, context }: ActionFunctionArgs) {
  requireLab(context);
  const form = await request.formData();
  const key = keyOf(form.get("key"));
  if (!key) return json({ error: "The key must be 1 to 200 characters." }, { status: 400 });
  const hold = holdFor(key);
  if (!(await within(hold.held))) {
    if (holds.get(key) === hold) holds.delete(key);
    return json({ error: `No hold ${key} appeared.` }, { status: 404 });
  }
  if (form.get("intent") === "wait") return json({ held: key });
  hold.release();
  return json({ released: true });
}
