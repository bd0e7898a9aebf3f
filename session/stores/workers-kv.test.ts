import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { emptyChanges, type SessionChanges } from "../core/changes";
import { SessionStoreUnavailableError, SessionTooLargeError } from "../core/errors";
import { createSessionId } from "../core/id";

import { describeSessionStore, planFor, writeSession } from "./store-contract";
import { KV_MIN_TTL_SECONDS, WorkersKVSessionStore, type KVNamespaceLike } from "./workers-kv";

// A real KV namespace, served by workerd through Miniflare. Each operation is a request to a Worker
// that runs it on its binding: Miniflare's synchronous binding proxy has failed whole runs of this
// file on a loaded machine, and a request is how a Worker's KV calls travel anyway.
const KV_WORKER = `
export default {
  async fetch(request, env) {
    const { op, key, value, options } = await request.json();
    try {
      if (op === "get") return Response.json(await env.SESSION_KV.get(key, "text"));
      if (op === "put") return Response.json(await env.SESSION_KV.put(key, value, options) ?? null);
      if (op === "delete") return Response.json(await env.SESSION_KV.delete(key) ?? null);
      if (op === "list") return Response.json(await env.SESSION_KV.list(options));
      return Response.json({ error: "unknown operation " + op }, { status: 400 });
    } catch (error) {
      return Response.json({ error: String(error) }, { status: 500 });
    }
  },
};`;

type ListedKeys = { keys: { name: string; expiration?: number }[] };
let miniflare: Miniflare;
let kv: KVNamespaceLike & { list(options: { prefix: string }): Promise<ListedKeys> };
beforeAll(async () => {
  miniflare = new Miniflare({ modules: true, script: KV_WORKER, kvNamespaces: ["SESSION_KV"] });
  const run = async <T>(op: string, args: { key?: string; value?: string; options?: unknown }): Promise<T> => {
    const response = await miniflare.dispatchFetch("http://kv.test/", {
      method: "POST",
      body: JSON.stringify({ op, ...args }),
    });
    const body = (await response.json()) as T & { error?: string };
    if (!response.ok) throw new Error(`KV ${op} failed: ${body.error}`);
    return body;
  };
  kv = {
    get: (key) => run<string | null>("get", { key }),
    put: (key, value, options) => run<void>("put", { key, value, options }),
    delete: (key) => run<void>("delete", { key }),
    list: (options) => run<ListedKeys>("list", { options }),
  };
});
afterAll(() => miniflare?.dispose());

let prefixes = 0;
const freshPrefix = () => `test-${process.pid}-${++prefixes}:`;
const set = (values: Record<string, unknown>): SessionChanges => ({ ...emptyChanges(), set: values });
const inAnHour = () => new Date(Date.now() + 60 * 60 * 1000);

// KV cannot apply atomically; the last test below shows what that costs.
describeSessionStore("workers-kv", (options) => new WorkersKVSessionStore({ kv, prefix: freshPrefix(), ...options }), {
  atomic: false,
});

/** The real namespace, with each put counted and the first `failPuts` of them refused as KV refuses them. */
function countingKV(failPuts = 0) {
  const counts = { puts: 0 };
  const wrapped: KVNamespaceLike = {
    get: (key, type) => kv.get(key, type),
    delete: (key) => kv.delete(key),
    async put(key, value, options) {
      counts.puts++;
      if (counts.puts <= failPuts) throw new Error("KV PUT failed: 429 Too Many Requests");
      return kv.put(key, value, options);
    },
  };
  return { kv: wrapped, counts };
}

describe("WorkersKVSessionStore", () => {
  it("keeps each session as one JSON value under its prefix, with a KV expiration at the session's expiry", async () => {
    const prefix = freshPrefix();
    const store = new WorkersKVSessionStore({ kv, prefix });
    const id = createSessionId();
    const expires = inAnHour();
    await writeSession(store, id, { set: { theme: "dark" } }, expires);

    const { keys } = await kv.list({ prefix });
    expect(keys.map((key) => key.name)).toEqual([prefix + id]);
    expect(Math.abs(keys[0].expiration! * 1000 - expires.getTime())).toBeLessThanOrEqual(2000);
    expect(JSON.parse((await kv.get(prefix + id, "text"))!)).toEqual({
      data: { theme: "dark" },
      expires: expires.getTime(),
      lifetime: null,
    });
  });

  it("asks KV for at least its 60-second minimum and hides a session past its own, shorter expiry", async () => {
    let now = Date.now();
    const prefix = freshPrefix();
    const store = new WorkersKVSessionStore({ kv, prefix, now: () => now });
    const id = createSessionId();
    await writeSession(store, id, { set: { a: 1 } }, new Date(now + 5_000));

    const { keys } = await kv.list({ prefix });
    expect(keys[0].expiration! * 1000).toBeGreaterThanOrEqual(now + (KV_MIN_TTL_SECONDS - 2) * 1000);
    expect(await store.read(id)).not.toBeNull();
    now += 6_000;
    // Still in KV (its expiration is a minute away), but expired for the session layer.
    expect(await kv.get(prefix + id, "text")).not.toBeNull();
    expect(await store.read(id)).toBeNull();
  });

  it("refuses a session over the size limit and leaves the stored data as it was", async () => {
    const store = new WorkersKVSessionStore({ kv, prefix: freshPrefix(), maxSessionBytes: 2048 });
    const id = createSessionId();
    await writeSession(store, id, { set: { small: "x" } }, inAnHour());
    await expect(writeSession(store, id, { set: { big: "x".repeat(4096) } }, inAnHour())).rejects.toThrow(
      SessionTooLargeError,
    );
    expect((await store.read(id))?.data).toEqual({ small: "x" });
  });

  it("tries a write again, from a fresh read, when KV refuses it for its one-write-per-second-per-key limit", async () => {
    const prefix = freshPrefix();
    const id = createSessionId();
    const other = new WorkersKVSessionStore({ kv, prefix });
    await writeSession(other, id, { set: { start: 1 } });
    let refusals = 0;
    const store = new WorkersKVSessionStore({
      prefix,
      retryDelay: 5,
      kv: {
        get: (key, type) => kv.get(key, type),
        delete: (key) => kv.delete(key),
        async put(key, value, options) {
          if (refusals === 2) return kv.put(key, value, options);
          // KV refuses because someone else wrote the key within the last second.
          if (++refusals === 1) await writeSession(other, id, { set: { other: 1 } }, inAnHour());
          throw new Error("KV PUT failed: 429 Too Many Requests");
        },
      },
    });
    await writeSession(store, id, { set: { kept: true } }, inAnHour());
    expect(refusals).toBe(2);
    expect((await store.read(id))?.data).toEqual({ start: 1, kept: true, other: 1 });
  });

  it("fails with SessionStoreUnavailableError (a 503) when KV keeps refusing, and writes nothing", async () => {
    const { kv: limited, counts } = countingKV(3);
    const store = new WorkersKVSessionStore({ kv: limited, prefix: freshPrefix(), rateLimitRetries: 2, retryDelay: 5 });
    const id = createSessionId();
    await expect(writeSession(store, id, { set: { lost: true } }, inAnHour())).rejects.toThrow(
      SessionStoreUnavailableError,
    );
    expect(counts.puts).toBe(3);
    expect(await store.read(id)).toBeNull();
  });

  it("reads a value it did not write as no session", async () => {
    const prefix = freshPrefix();
    const store = new WorkersKVSessionStore({ kv, prefix });
    const id = createSessionId();
    await kv.put(prefix + id, "not json");
    expect(await store.read(id)).toBeNull();
    await kv.put(prefix + id, JSON.stringify({ data: [1, 2], expires: Date.now() + 60_000 }));
    expect(await store.read(id)).toBeNull();
  });

  it("is not merge-safe: a commit landing between another's get and put is lost, whole", async () => {
    const prefix = freshPrefix();
    const id = createSessionId();
    const store = new WorkersKVSessionStore({ kv, prefix });
    await writeSession(store, id, { set: { start: 1 } });
    // A second request's whole commit lands while the first is between its get and its put.
    let interleaved = false;
    const racing = new WorkersKVSessionStore({
      prefix,
      kv: {
        get: async (key, type) => {
          const value = await kv.get(key, type);
          if (!interleaved) {
            interleaved = true;
            await store.commit(planFor(id, { changes: set({ second: 1 }) }));
          }
          return value;
        },
        put: (key, value, options) => kv.put(key, value, options),
        delete: (key) => kv.delete(key),
      },
    });
    await racing.commit(planFor(id, { changes: set({ first: 1 }) }));
    expect((await store.read(id))?.data).toEqual({ start: 1, first: 1 });
  });

  it("refuses a commit that read the session before sign-out: the tombstone is there, not the old session", async () => {
    const prefix = freshPrefix();
    const store = new WorkersKVSessionStore({ kv, prefix });
    const id = createSessionId();
    await writeSession(store, id, { set: { user: "ada" } });
    await store.commit(planFor(id, { destroy: true, id: null }));
    // A request that read the session before the sign-out commits a rolling touch and a write.
    expect(await store.commit(planFor(id))).toBe("gone");
    expect(await store.commit(planFor(id, { changes: set({ theme: "dark" }) }))).toBe("gone");
    expect(await store.read(id)).toBeNull();
    expect(JSON.parse((await kv.get(`${prefix}${id}:ended`, "text"))!)).toMatchObject({ ended: true });
    expect(await kv.get(prefix + id, "text")).toBeNull();
  });

  it("hides a commit whose get ran before the tombstone's put: the stray write opens nothing", async () => {
    const prefix = freshPrefix();
    const store = new WorkersKVSessionStore({ kv, prefix });
    const id = createSessionId();
    await writeSession(store, id, { set: { user: "ada" } });
    let signedOut = false;
    const racing = new WorkersKVSessionStore({
      prefix,
      kv: {
        get: async (key, type) => {
          const value = await kv.get(key, type);
          if (!signedOut) {
            signedOut = true;
            await store.commit(planFor(id, { destroy: true, id: null }));
          }
          return value;
        },
        put: (key, value, options) => kv.put(key, value, options),
        delete: (key) => kv.delete(key),
      },
    });
    // KV cannot refuse it: the put lands under the session's key...
    expect(await racing.commit(planFor(id, { changes: set({ theme: "dark" }) }))).toBe("committed");
    expect(JSON.parse((await kv.get(prefix + id, "text"))!).data).toEqual({ user: "ada", theme: "dark" });
    // ...but the tombstone, which no put touches, keeps every later read and commit out.
    expect(await store.read(id)).toBeNull();
    expect(await store.commit(planFor(id, { changes: set({ more: 1 }) }))).toBe("gone");
  });
});
