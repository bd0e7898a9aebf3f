import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { createCookie } from "@remix-run/node";
import fc from "fast-check";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createSessionId, createStoreSessionStorage, SessionCookie, type SessionStore } from "auto-commit-session";
import { SessionInterruptedError } from "../../session/core/errors";
import type { AutoSessionStorage } from "../../session/core/storage";
import { trackingOf, type TrackedSession } from "../../session/core/tracked-session";
import { MemorySessionStore } from "auto-commit-session/stores/memory";
import { RedisSessionStore } from "auto-commit-session/stores/redis";
import { SqliteSessionStore } from "auto-commit-session/stores/sqlite";
import { planFor, writeSession } from "../../session/stores/store-contract";
import { deleteKeys, describeWithRedis, uniquePrefix } from "../support/redis";
import { TEST_SECRET } from "../support/server";

/**
 * A model check of the merge rules and of sign-in and sign-out races. Generated scenarios: a few
 * requests on one session, each reading the session, setting, removing, flashing and reading keys,
 * sometimes destroying it (sign out) or moving it to a new id (sign in), then committing, with reads
 * and commits interleaved in a generated order and adjacent commits run at the same time. After every
 * round of commits the store must hold exactly what the rules promise:
 * - per key, the last commit that touched it wins;
 * - a commit never changes a key its request did not touch;
 * - a flash a request read (so showed) is removed, unless another request has put a different value
 *   there since; a flash is never shown by a request that did not see it in its snapshot;
 * - destroy and sign-in win: a destroy deletes the data it read (changes made after it start a fresh
 *   session under a new id that no other request reaches); a regenerate moves the data held now, with
 *   its request's changes, to a new id; a later commit of a request that read the old id is refused
 *   (`save` throws `SessionInterruptedError`) and writes nothing anywhere;
 * - an id that was destroyed or moved opens nothing, and no save hands out a cookie for an id that is
 *   gone.
 * Each request's reads must also see its snapshot plus its own changes, as a plain session would.
 */

const KEYS = ["a", "b", "c"] as const;
const FLASHES = ["n", "m"] as const;
type Key = (typeof KEYS)[number];
type Flash = (typeof FLASHES)[number];
type Data = Record<string, unknown>;

type Op =
  | { op: "set"; key: Key; value: unknown }
  | { op: "unset"; key: Key }
  | { op: "get"; key: Key }
  | { op: "flash"; name: Flash; value: unknown }
  | { op: "readFlash"; name: Flash }
  /** `session.destroy()`: sign out. */
  | { op: "destroy" }
  /** `session.regenerateId()`: sign in. */
  | { op: "regenerate" };

/** One generated case: the session's data before, what each request does, and the order of events. */
export interface Scenario {
  initial: Data;
  requests: Op[][];
  /** Each request's index appears twice: its first appearance reads the session, its second commits. */
  events: number[];
}

const RUNS = Number(process.env.MERGE_MODEL_RUNS ?? 400);
const flashKey = (name: string) => `__flash_${name}__`;

// Few distinct values, so that two requests often write equal values (the ABA case of flashes).
const value = fc.oneof(
  fc.constantFrom("p", "q", "r"),
  fc.constant({ list: [1, "two"] }),
  fc.integer({ min: 0, max: 2 }),
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("set" as const), key: fc.constantFrom(...KEYS), value }),
  fc.record({ op: fc.constant("unset" as const), key: fc.constantFrom(...KEYS) }),
  fc.record({ op: fc.constant("get" as const), key: fc.constantFrom(...KEYS) }),
  fc.record({ op: fc.constant("flash" as const), name: fc.constantFrom(...FLASHES), value }),
  fc.record({ op: fc.constant("readFlash" as const), name: fc.constantFrom(...FLASHES) }),
);
const initialArb = fc
  .tuple(
    fc
      .subarray([...KEYS])
      .chain((keys) =>
        fc.tuple(fc.constant(keys), fc.array(value, { minLength: keys.length, maxLength: keys.length })),
      ),
    fc
      .subarray([...FLASHES])
      .chain((names) =>
        fc.tuple(fc.constant(names), fc.array(value, { minLength: names.length, maxLength: names.length })),
      ),
  )
  .map(([[keys, keyValues], [names, flashValues]]) => {
    const data: Data = {};
    keys.forEach((key, i) => (data[key] = keyValues[i]));
    names.forEach((name, i) => (data[flashKey(name)] = flashValues[i]));
    return data;
  });
/**
 * Sign-in and sign-out: none in half the scenarios (they are about merges), one or two in the others,
 * each put into a request at a generated place, so ops before it, after it, or both.
 */
const identityArb = fc.oneof(
  fc.constant([]),
  fc.array(
    fc.record({
      request: fc.nat({ max: 4 }),
      at: fc.nat({ max: 5 }),
      op: fc.constantFrom({ op: "destroy" as const }, { op: "regenerate" as const }),
    }),
    { minLength: 1, maxLength: 2 },
  ),
);
export const scenarioArb: fc.Arbitrary<Scenario> = fc
  .tuple(fc.array(fc.array(opArb, { maxLength: 5 }), { minLength: 1, maxLength: 5 }), identityArb)
  .map(([plain, identity]) => {
    const requests = plain.map((ops) => [...ops]);
    for (const { request, at, op } of identity) {
      const ops = requests[request % requests.length];
      ops.splice(at % (ops.length + 1), 0, op);
    }
    return requests;
  })
  .chain((requests) =>
    fc.record({
      initial: initialArb,
      requests: fc.constant(requests),
      events: fc.shuffledSubarray(
        requests.flatMap((_, i) => [i, i]),
        { minLength: requests.length * 2, maxLength: requests.length * 2 },
      ),
    }),
  );

/** Shrunk counterexamples found by this check; they run first, every time. */
export const REGRESSIONS: Scenario[] = [
  // A request flashed over the stored flash and then read its own: the stored one came back later.
  {
    initial: { __flash_n__: 0 },
    requests: [
      [
        { op: "flash", name: "n", value: "p" },
        { op: "readFlash", name: "n" },
      ],
      [],
    ],
    events: [0, 0, 1, 1],
  },
  // The same, with the stored flash committed by a concurrent request after this one read.
  {
    initial: {},
    requests: [
      [],
      [{ op: "flash", name: "m", value: "p" }],
      [
        { op: "flash", name: "m", value: "p" },
        { op: "readFlash", name: "m" },
      ],
    ],
    events: [1, 0, 1, 2, 0, 2],
  },
  // Read the stored flash, flash again, read that: the first flash was shown, yet it stayed stored.
  {
    initial: { __flash_n__: "p" },
    requests: [
      [
        { op: "readFlash", name: "n" },
        { op: "flash", name: "n", value: "q" },
        { op: "readFlash", name: "n" },
      ],
    ],
    events: [0, 0],
  },
];

/** Hand-written races of sign-in and sign-out against other commits; they run first, every time. */
export const IDENTITY_CASES: Scenario[] = [
  // Sign in lands while another request of the old id is running: that one's commit is refused.
  {
    initial: { a: "p" },
    requests: [[{ op: "set", key: "b", value: "q" }], [{ op: "regenerate" }, { op: "set", key: "c", value: 1 }]],
    events: [0, 1, 1, 0],
  },
  // A commit lands before the sign in: the sign in moves it along; a request after it reads the new id.
  {
    initial: { __flash_n__: "p" },
    requests: [
      [{ op: "readFlash", name: "n" }],
      [{ op: "regenerate" }],
      [
        { op: "get", key: "a" },
        { op: "set", key: "a", value: 2 },
      ],
    ],
    events: [0, 1, 0, 1, 2, 2],
  },
  // Sign out with a flash after it, while another request runs; a later request holding the old
  // cookie gets a fresh session of its own.
  {
    initial: { a: "p", b: "q" },
    requests: [
      [{ op: "unset", key: "a" }],
      [{ op: "destroy" }, { op: "flash", name: "n", value: "r" }],
      [{ op: "set", key: "c", value: 0 }],
    ],
    events: [0, 1, 1, 0, 2, 2],
  },
  // Sign in and sign out and a plain commit at the same time: any order, every outcome checked.
  {
    initial: { a: 1 },
    requests: [
      [{ op: "regenerate" }, { op: "set", key: "b", value: "p" }],
      [{ op: "set", key: "c", value: "q" }, { op: "destroy" }],
      [{ op: "flash", name: "m", value: 2 }],
    ],
    events: [0, 1, 2, 0, 1, 2],
  },
];

/** What one request did, in the model. */
interface ModelRequest {
  /** The id it read the session under; null when its cookie opened nothing (a fresh session). */
  readId: string | null;
  /** The data it read; empty from its `destroy()` on, as the stored flashes it compares against. */
  snapshot: Data;
  /** What the request sees at the end. */
  view: Data;
  touchedKeys: Set<string>;
  touchedFlashes: Set<string>;
  /** It destroyed the session it read (a fresh session never counts: there is nothing to delete). */
  destroyed: boolean;
  /** It moved the session it read to a new id (and did not destroy it afterwards). */
  regenerated: boolean;
}

/** Runs a request's operations on the model view; returns what each read must return. */
function modelOps(readId: string | null, snapshot: Data, ops: Op[]): { request: ModelRequest; reads: unknown[] } {
  const request: ModelRequest = {
    readId,
    snapshot,
    view: structuredClone(snapshot),
    touchedKeys: new Set(),
    touchedFlashes: new Set(),
    destroyed: false,
    regenerated: false,
  };
  const { view } = request;
  const reads: unknown[] = [];
  for (const op of ops) {
    switch (op.op) {
      case "set":
        view[op.key] = structuredClone(op.value);
        request.touchedKeys.add(op.key);
        break;
      case "unset":
        delete view[op.key];
        request.touchedKeys.add(op.key);
        break;
      case "get":
        reads.push(view[op.key]);
        break;
      case "flash":
        view[flashKey(op.name)] = structuredClone(op.value);
        request.touchedFlashes.add(flashKey(op.name));
        break;
      case "readFlash": {
        const key = flashKey(op.name);
        reads.push(view[key]);
        if (key in view) request.touchedFlashes.add(key);
        delete view[key];
        break;
      }
      case "destroy":
        // Everything so far is dropped; what follows starts an empty session.
        for (const key of Object.keys(view)) delete view[key];
        request.snapshot = {};
        request.touchedKeys.clear();
        request.touchedFlashes.clear();
        if (readId !== null) request.destroyed = true;
        request.regenerated = false;
        break;
      case "regenerate":
        if (readId !== null && !request.destroyed) request.regenerated = true;
        break;
    }
  }
  return { request, reads };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Whether the request's change set holds anything: a key set or removed, a flash set, or a stored flash shown. */
function hasChanges(request: ModelRequest): boolean {
  return (
    request.touchedKeys.size > 0 ||
    [...request.touchedFlashes].some((key) => key in request.view || key in request.snapshot)
  );
}

/** The rules: what the store holds after `request` commits onto `state`. */
function modelCommit(state: Data, request: ModelRequest): Data {
  const next = structuredClone(state);
  for (const key of request.touchedKeys) {
    if (key in request.view) next[key] = structuredClone(request.view[key]);
    else delete next[key];
  }
  for (const key of request.touchedFlashes) {
    if (key in request.view) {
      // It ended with a flash of its own: the last commit wins.
      next[key] = structuredClone(request.view[key]);
    } else if (key in request.snapshot && key in next && same(next[key], request.snapshot[key])) {
      // It showed (or replaced, then showed its own) the flash its snapshot held: that one is gone,
      // unless another request has put a different value there meanwhile.
      delete next[key];
    }
  }
  return next;
}

/** The store, in the model: every session the scenario made, and which of them the browser follows. */
interface World {
  /** Data by id: the followed session, and the fresh ones started by a sign-out or by a request whose cookie opened nothing. */
  sessions: Map<string, Data>;
  /** The id the browser's cookie names: the live session's, or after a sign out the old, gone one. */
  cookieId: string;
  /** Ids that were destroyed or moved: they must open nothing, ever again. */
  gone: Set<string>;
}

const cloneWorld = (world: World): World => ({
  sessions: new Map([...world.sessions].map(([id, data]) => [id, structuredClone(data)])),
  cookieId: world.cookieId,
  gone: new Set(world.gone),
});

/** What a save did: nothing to save, refused (gone), or saved with the id its cookie names (null: cleared). */
type Outcome = { kind: "unchanged" } | { kind: "refused" } | { kind: "saved"; id: string | null };

/** The rules for one commit: applies `request`'s save to `world`. `id` is the id its session reports after saving. */
function modelSave(world: World, request: ModelRequest, id: string): Outcome {
  const { readId } = request;
  const changes = hasChanges(request);
  if (readId === null) {
    // A session the store never held: created with its changes, a session of its own.
    if (!changes) return { kind: "unchanged" };
    world.sessions.set(id, modelCommit({}, request));
    return { kind: "saved", id };
  }
  if (request.destroyed) {
    // Sign out is never refused (decision 0057): deleting what is already gone is what it wants. When
    // a sign in moved the session first, the moved session stays; changes made after the destroy still
    // start a fresh session.
    world.sessions.delete(readId);
    world.gone.add(readId);
    if (!changes) return { kind: "saved", id: null };
    world.sessions.set(id, modelCommit({}, request));
    return { kind: "saved", id };
  }
  if (!request.regenerated && !changes) return { kind: "unchanged" };
  const current = world.sessions.get(readId);
  if (current === undefined) return { kind: "refused" };
  const next = modelCommit(current, request);
  if (!request.regenerated) {
    // Same id, same lifetime, same expiry: the browser's cookie stays as it is, so none is sent.
    world.sessions.set(readId, next);
    return { kind: "unchanged" };
  }
  world.sessions.delete(readId);
  world.gone.add(readId);
  world.sessions.set(id, next);
  if (world.cookieId === readId) world.cookieId = id;
  return { kind: "saved", id };
}

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

function applyOps(session: TrackedSession<Data, Data>, ops: Op[]): unknown[] {
  const reads: unknown[] = [];
  for (const op of ops) {
    switch (op.op) {
      case "set":
        session.set(op.key, structuredClone(op.value));
        break;
      case "unset":
        session.unset(op.key);
        break;
      case "get":
        reads.push(session.get(op.key));
        break;
      case "flash":
        session.flash(op.name, structuredClone(op.value));
        break;
      case "readFlash":
        reads.push(session.get(op.name));
        break;
      case "destroy":
        session.destroy();
        break;
      case "regenerate":
        session.regenerateId();
        break;
    }
  }
  return reads;
}

/**
 * The storages a scenario runs through: one per connection; requests take turns. `count`, when the
 * store can tell, is how many sessions it holds, so that a write under an id nobody names is seen too.
 */
type Harness = { storages: AutoSessionStorage<Data, Data>[]; store: SessionStore; count?: () => Promise<number> };

/** What a round of commits showed: each request's outcome and what the store holds under every id involved. */
interface RoundView {
  requests: Record<string, string>;
  store: Record<string, Data | null>;
}

/** Runs one scenario against real storages and checks the store against the model after every round of commits. */
export async function checkScenario(harness: Harness, scenario: Scenario): Promise<void> {
  const { storages, store, count } = harness;
  const storageOf = (i: number) => storages[i % storages.length];
  const cookie = storages[0].cookie;
  const cookieHeader = async (id: string) => (await cookie.serialize(id)).split(";")[0];
  const countBefore = await count?.();

  const original = createSessionId();
  const expires = new Date(Date.now() + 60 * 60_000);
  await writeSession(store, original, { set: structuredClone(scenario.initial) }, expires);

  let world: World = {
    sessions: new Map([[original, structuredClone(scenario.initial)]]),
    cookieId: original,
    gone: new Set(),
  };
  // Ids are random: failures name them by who made them.
  const labels = new Map<string, string>([[original, "original id"]]);
  const label = (id: string) => labels.get(id) ?? `unnamed id ${id}`;

  const sessions = new Map<number, TrackedSession<Data, Data>>();
  const models = new Map<number, ModelRequest>();
  const seen = new Set<number>();
  let pending: number[] = [];

  const flushCommits = async () => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    // Adjacent commits run at the same time; the store may land them in any order.
    const results = await Promise.all(
      batch.map((i) =>
        storageOf(i)
          .save(sessions.get(i)!)
          .then(
            (setCookie) => ({ refused: false, setCookie }),
            (error: unknown) => {
              if (error instanceof SessionInterruptedError) return { refused: true, setCookie: null };
              throw error;
            },
          ),
      ),
    );

    const observed: RoundView = { requests: {}, store: {} };
    const cookieIds = new Map<number, string>();
    for (const [k, i] of batch.entries()) {
      const session = sessions.get(i)!;
      const { refused, setCookie } = results[k];
      expect(trackingOf(session).interrupted, `request ${i} is marked interrupted exactly when refused`).toBe(refused);
      if (session.id && !labels.has(session.id)) labels.set(session.id, `id of request ${i}`);
      const cookieId = setCookie === null ? null : ((await cookie.valueOf(setCookie)) as string | null);
      if (cookieId !== null) cookieIds.set(i, cookieId);
      observed.requests[`request ${i}`] = refused
        ? "refused"
        : setCookie === null
          ? "no cookie"
          : cookieId === null
            ? "cookie cleared"
            : `cookie for ${label(cookieId)}`;
    }

    // Every id involved: what the store held, the gone ones, and every id a request reports or was given.
    const ids = new Set<string>([original, ...world.sessions.keys(), ...world.gone, ...cookieIds.values()]);
    for (const i of batch) if (sessions.get(i)!.id) ids.add(sessions.get(i)!.id);
    const sortedIds = [...ids].sort((a, b) => label(a).localeCompare(label(b)));
    for (const id of sortedIds) observed.store[label(id)] = sortKeys((await store.read(id))?.data) ?? null;

    const candidates = permutations(batch).map((order) => {
      const next = cloneWorld(world);
      const expected: RoundView = { requests: {}, store: {} };
      for (const i of order) {
        const outcome = modelSave(next, models.get(i)!, sessions.get(i)!.id);
        expected.requests[`request ${i}`] =
          outcome.kind === "refused"
            ? "refused"
            : outcome.kind === "unchanged"
              ? "no cookie"
              : outcome.id === null
                ? "cookie cleared"
                : `cookie for ${label(outcome.id)}`;
      }
      // Keys in the same order as observed's, for the failure message.
      expected.requests = Object.fromEntries(
        Object.keys(observed.requests).map((key) => [key, expected.requests[key]]),
      );
      for (const id of sortedIds) expected.store[label(id)] = sortKeys(next.sessions.get(id)) ?? null;
      return { order, next, expected };
    });
    const match = candidates.find(({ expected }) => same(expected, observed));
    expect(
      observed,
      `after commits of requests ${batch.join(", ")} (no order of them explains this; shown: order ${candidates[0].order.join(", ")})`,
    ).toEqual(match?.expected ?? candidates[0].expected);
    world = match!.next;

    // The old ids open nothing, for the store and for a request that still carries their cookie.
    for (const id of world.gone) {
      expect(await store.read(id), `${label(id)} is gone`).toBeNull();
      const session = await storageOf(0).getSession(await cookieHeader(id));
      expect([session.id || null, session.data], `a cookie for ${label(id)} opens nothing`).toEqual([null, {}]);
    }
    // No save handed out a cookie for an id that is gone, unless a commit running beside it moved it on.
    for (const [i, id] of cookieIds) {
      if (batch.length === 1 || !world.gone.has(id)) {
        expect(world.gone.has(id), `request ${i}'s cookie names a live id`).toBe(false);
        expect(await store.read(id), `request ${i}'s cookie opens its session`).not.toBeNull();
      }
    }
    // Nothing was written under an id nobody named: the store holds the model's sessions and no more.
    if (countBefore !== undefined) {
      expect(await count!(), "sessions held").toBe(countBefore + world.sessions.size);
    }
  };

  for (const i of scenario.events) {
    if (!seen.has(i)) {
      seen.add(i);
      await flushCommits();
      // The browser sends the cookie it holds: the live session's, or one whose session is gone.
      const session = await storageOf(i).getSession(await cookieHeader(world.cookieId));
      const held = world.sessions.get(world.cookieId);
      const readId = held === undefined ? null : world.cookieId;
      expect([session.id || null, sortKeys(session.data)], `request ${i} reads the data held now`).toEqual([
        readId,
        sortKeys(held ?? {}),
      ]);
      const { request, reads } = modelOps(readId, structuredClone(held ?? {}), scenario.requests[i]);
      expect(applyOps(session, scenario.requests[i]), `what request ${i} reads`).toEqual(reads);
      sessions.set(i, session);
      models.set(i, request);
    } else {
      pending.push(i);
    }
  }
  await flushCommits();
  // Sign out of everything the scenario left, so the store (and the count) stays small over many runs.
  for (const id of world.sessions.keys()) await store.commit(planFor(id, { destroy: true, id: null }));
}

function sortKeys(data: Data | undefined): Data | undefined {
  return data && Object.fromEntries(Object.entries(data).sort(([a], [b]) => a.localeCompare(b)));
}

function storageOver(store: SessionStore): AutoSessionStorage<Data, Data> {
  const cookie = new SessionCookie(createCookie, {
    name: "__session",
    secrets: [TEST_SECRET],
    secure: false,
    maxAge: 3600,
  });
  return createStoreSessionStorage<Data, Data>({ cookie, store });
}

/** Runs the regressions, the identity cases, and then `RUNS` generated scenarios against `harness()`. */
function describeMergeModel(name: string, harness: () => Promise<Harness & { close(): Promise<void> }>) {
  describe(`merge model, ${name}`, () => {
    let current: Harness & { close(): Promise<void> };
    beforeAll(async () => {
      current = await harness();
    });
    afterAll(async () => {
      await current?.close();
    });

    it.each(REGRESSIONS.map((scenario, i) => [i, scenario] as const))("regression case %i", async (_, scenario) => {
      await checkScenario(current, scenario);
    });

    it.each(IDENTITY_CASES.map((scenario, i) => [i, scenario] as const))(
      "sign-in/sign-out race %i",
      async (_, scenario) => {
        await checkScenario(current, scenario);
      },
    );

    it(`keeps the merge rules in ${RUNS} generated interleavings, with sign in and sign out`, async () => {
      await fc.assert(
        fc.asyncProperty(scenarioArb, (scenario) => checkScenario(current, scenario)),
        { numRuns: RUNS },
      );
    });
  });
}

const tempFile = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), "merge-model-")), "sessions.sqlite");

describeMergeModel("memory store", async () => {
  const store = new MemorySessionStore();
  return { store, storages: [storageOver(store)], count: async () => store.size, close: () => store.close() };
});

describeMergeModel("sqlite store", async () => {
  const store = new SqliteSessionStore({ filename: tempFile(), purgeInterval: 0 });
  return { store, storages: [storageOver(store)], count: async () => store.count(), close: () => store.close() };
});

/** Two connections to one store, as two processes would have; requests alternate between them. */
function twoConnections(first: SessionStore, second: SessionStore) {
  return {
    store: first,
    storages: [storageOver(first), storageOver(second)],
    close: async () => {
      await first.close();
      await second.close();
    },
  };
}

describeMergeModel("sqlite store, two connections to one file (as two processes)", async () => {
  const filename = tempFile();
  const first = new SqliteSessionStore({ filename, purgeInterval: 0 });
  return {
    ...twoConnections(first, new SqliteSessionStore({ filename, purgeInterval: 0 })),
    count: async () => first.count(),
  };
});

describeWithRedis("redis", (url) => {
  const prefix = uniquePrefix("merge-model");
  afterAll(() => deleteKeys(url, prefix));
  describeMergeModel("redis store, two connections", async () => {
    // A third connection counts the sessions under this run's prefix.
    const counter = createClient({ url });
    counter.on("error", () => {});
    await counter.connect();
    const connections = twoConnections(
      await RedisSessionStore.connect({ url, prefix }),
      await RedisSessionStore.connect({ url, prefix }),
    );
    return {
      ...connections,
      count: async () => {
        // SCAN may return a key twice; count each once.
        const seen = new Set<string>();
        for await (const keys of counter.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
          for (const key of keys) seen.add(key);
        }
        return seen.size;
      },
      close: async () => {
        await connections.close();
        counter.destroy();
      },
    };
  });
});
