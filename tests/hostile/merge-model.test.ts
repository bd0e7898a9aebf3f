import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { createCookie } from "@remix-run/node";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createSessionId, createStoreSessionStorage, SessionCookie, type SessionStore } from "../../session/core";
import type { AutoSessionStorage } from "../../session/core/storage";
import type { TrackedSession } from "../../session/core/tracked-session";
import { MemorySessionStore } from "../../session/stores/memory";
import { RedisSessionStore } from "../../session/stores/redis";
import { SqliteSessionStore } from "../../session/stores/sqlite";
import { writeSession } from "../../session/stores/store-contract";
import { deleteKeys, describeWithRedis, uniquePrefix } from "../support/redis";
import { TEST_SECRET } from "../support/server";

/**
 * A model check of the merge rules. Generated scenarios: a few requests on one session, each reading
 * the session, setting, removing, flashing and reading keys, then committing, with reads and commits
 * interleaved in a generated order and adjacent commits run at the same time. After every round of
 * commits the store must hold exactly what the rules promise:
 * - per key, the last commit that touched it wins;
 * - a commit never changes a key its request did not touch;
 * - a flash a request read (so showed) is removed, unless another request has put a different value
 *   there since; a flash is never shown by a request that did not see it in its snapshot.
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
  | { op: "readFlash"; name: Flash };

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
export const scenarioArb: fc.Arbitrary<Scenario> = fc
  .array(fc.array(opArb, { maxLength: 5 }), { minLength: 1, maxLength: 5 })
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

/** What one request did, in the model: its snapshot, its final view, and the keys it touched. */
interface ModelRequest {
  snapshot: Data;
  view: Data;
  touchedKeys: Set<string>;
  touchedFlashes: Set<string>;
}

/** Runs a request's operations on the model view; returns what each read must return. */
function modelOps(snapshot: Data, ops: Op[]): { request: ModelRequest; reads: unknown[] } {
  const view: Data = structuredClone(snapshot);
  const request: ModelRequest = { snapshot, view, touchedKeys: new Set(), touchedFlashes: new Set() };
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
    }
  }
  return { request, reads };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

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
    }
  }
  return reads;
}

/** The storages a scenario runs through: one per connection; requests take turns. */
type Harness = { storages: AutoSessionStorage<Data, Data>[]; store: SessionStore };

/** Runs one scenario against real storages and checks the store against the model after every round of commits. */
export async function checkScenario(harness: Harness, scenario: Scenario): Promise<void> {
  const { storages, store } = harness;
  const id = createSessionId();
  const expires = new Date(Date.now() + 60 * 60_000);
  await writeSession(store, id, { set: structuredClone(scenario.initial) }, expires);
  const cookieHeader = (await storages[0].cookie.serialize(id)).split(";")[0];

  let modelState: Data = structuredClone(scenario.initial);
  const sessions = new Map<number, TrackedSession<Data, Data>>();
  const models = new Map<number, ModelRequest>();
  const seen = new Set<number>();
  let pending: number[] = [];

  const flushCommits = async () => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    // Adjacent commits run at the same time; the store may land them in any order.
    await Promise.all(batch.map((i) => storages[i % storages.length].save(sessions.get(i)!)));
    const held = (await store.read(id))?.data;
    const outcomes = permutations(batch).map((order) =>
      order.reduce((state, i) => modelCommit(state, models.get(i)!), modelState),
    );
    const match = outcomes.find((outcome) => same(sortKeys(outcome), sortKeys(held)));
    expect(sortKeys(held), `after commits of requests ${batch.join(", ")}`).toEqual(sortKeys(match ?? outcomes[0]));
    modelState = match!;
  };

  for (const i of scenario.events) {
    if (!seen.has(i)) {
      seen.add(i);
      await flushCommits();
      const session = await storages[i % storages.length].getSession(cookieHeader);
      expect(sortKeys(session.data), `request ${i} reads the data held now`).toEqual(sortKeys(modelState));
      const { request, reads } = modelOps(structuredClone(modelState), scenario.requests[i]);
      expect(applyOps(session, scenario.requests[i]), `what request ${i} reads`).toEqual(reads);
      sessions.set(i, session);
      models.set(i, request);
    } else {
      pending.push(i);
    }
  }
  await flushCommits();
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

/** Runs the regressions and then `RUNS` generated scenarios against `harness()`. */
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

    it(`keeps the merge rules in ${RUNS} generated interleavings`, async () => {
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
  return { store, storages: [storageOver(store)], close: () => store.close() };
});

describeMergeModel("sqlite store", async () => {
  const store = new SqliteSessionStore({ filename: tempFile(), purgeInterval: 0 });
  return { store, storages: [storageOver(store)], close: () => store.close() };
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
  return twoConnections(
    new SqliteSessionStore({ filename, purgeInterval: 0 }),
    new SqliteSessionStore({ filename, purgeInterval: 0 }),
  );
});

describeWithRedis("redis", (url) => {
  const prefix = uniquePrefix("merge-model");
  afterAll(() => deleteKeys(url, prefix));
  describeMergeModel("redis store, two connections", async () => {
    return twoConnections(
      await RedisSessionStore.connect({ url, prefix }),
      await RedisSessionStore.connect({ url, prefix }),
    );
  });
});
