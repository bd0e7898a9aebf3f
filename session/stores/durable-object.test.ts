import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import Database from "better-sqlite3";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

import { emptyChanges, type SessionChanges } from "../core/changes";
import { SessionStoreUnavailableError } from "../core/errors";
import { createSessionId } from "../core/id";

import {
  DurableObjectSessionStore,
  SESSION_OBJECT_BINDING,
  type SessionObjectNamespace,
  type SessionObjectStub,
} from "./durable-object";
import { describeSessionStore, planFor, writeSession } from "./store-contract";

// The SessionObject class as the Worker build ships it (the "cloudflare" Vitest project builds it
// first), run by workerd through Miniflare with SQLite-backed storage on disk. The store runs here, in
// Node, and calls the objects over Workers RPC through Miniflare's proxy.
const WORKER = inject("cloudflareBuilds").workers.serverFile;
const persistDir = fs.mkdtempSync(path.join(os.tmpdir(), "session-objects-"));
let miniflare: Miniflare;
let namespace: SessionObjectNamespace;

beforeAll(async () => {
  miniflare = new Miniflare({
    modulesRoot: path.dirname(WORKER),
    modules: [{ type: "ESModule", path: WORKER }],
    compatibilityDate: "2025-01-01",
    cf: false,
    durableObjects: { [SESSION_OBJECT_BINDING]: { className: "SessionObject", useSQLite: true } },
    durableObjectsPersist: persistDir,
  });
  namespace = (await miniflare.getDurableObjectNamespace(SESSION_OBJECT_BINDING)) as unknown as SessionObjectNamespace;
});
afterAll(async () => {
  await miniflare?.dispose();
  fs.rmSync(persistDir, { recursive: true, force: true });
});

const set = (values: Record<string, unknown>): SessionChanges => ({ ...emptyChanges(), set: values });

describeSessionStore("durable-object", (options) => new DurableObjectSessionStore({ namespace, ...options }));

/** The namespace, with every RPC call the store makes to an object counted by method. */
function countingNamespace() {
  const calls: string[] = [];
  const counted: SessionObjectNamespace = {
    idFromName: (name) => namespace.idFromName(name),
    get(id) {
      const stub = namespace.get(id);
      return new Proxy(stub, {
        get(target, method: keyof SessionObjectStub) {
          calls.push(method);
          return (...args: unknown[]) => (target[method] as (...a: unknown[]) => unknown)(...args);
        },
      });
    },
  };
  return { namespace: counted, calls };
}

/** Every object's SQLite file under the persistence folder, with the number of tables it holds. */
function objectDatabases(): { file: string; tables: number }[] {
  const dir = path.join(persistDir, "-SessionObject");
  return fs
    .readdirSync(dir)
    .filter((file) => file.endsWith(".sqlite") && file !== "metadata.sqlite")
    .map((file) => {
      const db = new Database(path.join(dir, file), { readonly: true, fileMustExist: true });
      try {
        return {
          file,
          tables: db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").pluck().get() as number,
        };
      } finally {
        db.close();
      }
    });
}

describe("DurableObjectSessionStore", () => {
  it.each([8, 32, 64])("keeps every one of K = %i commits of one session that run at the same time", async (k) => {
    const store = new DurableObjectSessionStore({ namespace });
    const id = createSessionId();
    await writeSession(store, id, { set: { start: true } });
    const results = await Promise.all(
      Array.from({ length: k }, (_, i) => store.commit(planFor(id, { changes: set({ [`k${i}`]: i }) }))),
    );
    expect(results).toEqual(Array.from({ length: k }, () => "committed"));
    const data = (await store.read(id))?.data ?? {};
    expect(Object.keys(data)).toHaveLength(k + 1);
  });

  it("costs one RPC call per read and per commit, a sign-in included (its hand-over is one hop between objects)", async () => {
    const { namespace: counted, calls } = countingNamespace();
    const store = new DurableObjectSessionStore({ namespace: counted });
    const id = createSessionId();
    await store.commit(planFor(id, { readId: null, changes: set({ a: 1 }) }));
    expect(calls).toEqual(["commit"]);
    await store.read(id);
    await store.commit(planFor(id, { changes: set({ b: 1 }) }));
    const next = createSessionId();
    await store.commit(planFor(id, { id: next, changes: set({ user: "ada" }) }));
    await store.commit(planFor(next, { destroy: true, id: createSessionId(), changes: set({ __flash_bye__: 1 }) }));
    expect(calls).toEqual(["commit", "read", "commit", "commit", "commit"]);
  });

  it("lets no commit land on the old id while a sign-in moves the session: each lands before the move or is refused", async () => {
    const store = new DurableObjectSessionStore({ namespace });
    const id = createSessionId();
    await writeSession(store, id, { set: { cart: 3 } });
    const next = createSessionId();
    // The sign-in and 20 writes that read the session before it, all reaching the object at once.
    const signIn = store.commit(planFor(id, { id: next, changes: set({ user: "ada" }) }));
    const writes = Array.from({ length: 20 }, (_, i) => store.commit(planFor(id, { changes: set({ [`w${i}`]: i }) })));
    const [signedIn, ...written] = await Promise.all([signIn, ...writes]);
    expect(signedIn).toBe("committed");
    expect(await store.read(id)).toBeNull();
    const moved = (await store.read(next))?.data ?? {};
    expect(moved).toMatchObject({ cart: 3, user: "ada" });
    // A write answered "committed" landed before the move and went with it; the others were refused.
    written.forEach((result, i) => expect(result === "committed").toBe(`w${i}` in moved));
    expect(written.filter((result) => result === "gone").length).toBeGreaterThan(0);
  });

  it("keeps the data when two sign-ins of one session run at once: one moves it, the other is refused", async () => {
    const store = new DurableObjectSessionStore({ namespace });
    const id = createSessionId();
    await writeSession(store, id, { set: { cart: 3 } });
    const [first, second] = [createSessionId(), createSessionId()];
    const results = await Promise.all([
      store.commit(planFor(id, { id: first, changes: set({ user: "ada" }) })),
      store.commit(planFor(id, { id: second, changes: set({ user: "ada" }) })),
    ]);
    expect([...results].sort()).toEqual(["committed", "gone"]);
    const winner = results[0] === "committed" ? first : second;
    const loser = winner === first ? second : first;
    expect((await store.read(winner))?.data).toEqual({ cart: 3, user: "ada" });
    expect(await store.read(loser)).toBeNull();
    expect(await store.read(id)).toBeNull();
  });

  it("never brings back a session that a sign-out ended while writes of it were arriving", async () => {
    const store = new DurableObjectSessionStore({ namespace });
    const id = createSessionId();
    await writeSession(store, id, { set: { user: "ada" } });
    const signOut = store.commit(planFor(id, { destroy: true, id: null }));
    const writes = Array.from({ length: 20 }, (_, i) => store.commit(planFor(id, { changes: set({ [`w${i}`]: i }) })));
    const [signedOut] = await Promise.all([signOut, ...writes]);
    expect(signedOut).toBe("committed");
    expect(await store.read(id)).toBeNull();
    // Whatever was still in flight is refused now.
    expect(await store.commit(planFor(id, { changes: set({ late: true }) }))).toBe("gone");
    expect(await store.read(id)).toBeNull();
  });

  it("keeps the session under its old id when the hand-over to the new id fails, and the commit fails with a 503", async () => {
    const store = new DurableObjectSessionStore({ namespace });
    const id = createSessionId();
    await writeSession(store, id, { set: { cart: 3 } });
    // The new id's object refuses: it already holds a session (which fresh random ids never do).
    const taken = createSessionId();
    await writeSession(store, taken, { set: { someone: "else" } });
    const broken = store.commit(planFor(id, { id: taken, changes: set({ user: "ada" }) }));
    await expect(broken).rejects.toThrow(SessionStoreUnavailableError);
    await expect(broken).rejects.toMatchObject({ outcomeUnknown: true });
    expect((await store.read(id))?.data).toEqual({ cart: 3 });
    expect((await store.read(taken))?.data).toEqual({ someone: "else" });
    expect(await store.commit(planFor(id, { changes: set({ after: 1 }) }))).toBe("committed");
  });

  it("deletes the object's storage with an alarm when the session expires", async () => {
    const store = new DurableObjectSessionStore({ namespace });
    const before = new Set(objectDatabases().map((db) => db.file));
    const id = createSessionId();
    await writeSession(store, id, { set: { a: 1 } }, new Date(Date.now() + 1_000));
    const [created] = objectDatabases().filter((db) => !before.has(db.file));
    expect(created.tables).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(objectDatabases().find((db) => db.file === created.file)?.tables).toBe(0);
    expect(await store.read(id)).toBeNull();
  });
});
