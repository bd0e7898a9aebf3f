import { createClient } from "redis";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";

import { deleteKeys, describeWithRedis, uniquePrefix } from "../../tests/support/redis";
import {
  clusterPrefix,
  deleteClusterKeys,
  describeWithRedisCluster,
  mastersOf,
} from "../../tests/support/redis-cluster";
import { applyChanges, emptyChanges, type SessionChanges, type SessionRecord } from "../core/changes";
import { SessionTooLargeError } from "../core/errors";
import { createSessionId, ID_TAG_LENGTH } from "../core/id";

import { RedisSessionStore, type RedisSessionStoreOptions } from "./redis";
import { describeSessionStore, planFor, writeSession } from "./store-contract";

const changes = (partial: Partial<SessionChanges>): SessionChanges => ({ ...emptyChanges(), ...partial });
const inAMinute = () => new Date(Date.now() + 60_000);

describeWithRedis("RedisSessionStore", (url) => {
  const prefix = uniquePrefix("redis-store");
  const open: RedisSessionStore[] = [];
  let admin: ReturnType<typeof createClient>;

  const connect = async (options: Partial<RedisSessionStoreOptions> = {}) => {
    const store = await RedisSessionStore.connect({ url, prefix, ...options });
    open.push(store);
    return store;
  };

  beforeAll(async () => {
    admin = createClient({ url });
    admin.on("error", () => {});
    await admin.connect();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((store) => store.close()));
  });
  afterAll(async () => {
    admin.destroy();
    await deleteKeys(url, prefix);
  });

  describeSessionStore("redis", (options) => connect(options));

  it("keeps each session in one hash under the prefix and its id, as before clusters: field = key, value = JSON", async () => {
    const store = await connect();
    const id = createSessionId();
    await writeSession(store, id, { set: { user: { name: "ada" }, n: 1 } }, inAMinute());
    const key = `${prefix}${id}`;
    expect(store.keyOf(id)).toBe(key);
    expect(await admin.type(key)).toBe("hash");
    expect(await admin.hGet(key, "user")).toBe('{"name":"ada"}');
    expect(await admin.hGet(key, "n")).toBe("1");
    const keys: string[] = [];
    for await (const batch of admin.scanIterator({ MATCH: `*${id.slice(ID_TAG_LENGTH)}*` })) keys.push(...batch);
    expect(keys).toEqual([key]);
  });

  it('uses "session:" as the default prefix', async () => {
    const store = await RedisSessionStore.connect({ url });
    open.push(store);
    expect(store.keyOf("AbCdefgh")).toBe("session:AbCdefgh");
  });

  it("keeps a session whose keys were all removed, so its id stays valid", async () => {
    const store = await connect();
    const id = createSessionId();
    await writeSession(store, id, {}, inAMinute());
    expect((await store.read(id))?.data).toEqual({});
    await writeSession(store, id, { set: { a: 1 } }, inAMinute());
    await writeSession(store, id, { unset: ["a"] }, inAMinute());
    expect((await store.read(id))?.data).toEqual({});
  });

  it("sets the key's TTL to the expiry on apply and touch, and drops a session given a past expiry", async () => {
    const store = await connect();
    const id = createSessionId();
    const key = store.keyOf(id);
    await writeSession(store, id, { set: { a: 1 } }, new Date(Date.now() + 60_000));
    let ttl = await admin.pTTL(key);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);

    await store.commit(planFor(id, { expires: new Date(Date.now() + 2 * 60 * 60_000) }));
    ttl = await admin.pTTL(key);
    expect(ttl).toBeGreaterThan(60 * 60_000);

    await writeSession(store, id, { set: { b: 1 } }, new Date(Date.now() - 1000));
    expect(await admin.exists(key)).toBe(0);
  });

  it("moves a regenerated session in one script: the old key is gone and the new one has the new expiry", async () => {
    const store = await connect();
    const from = createSessionId();
    const to = createSessionId(from);
    await writeSession(store, from, { set: { user: "ada" } }, new Date(Date.now() + 60_000));
    await store.commit(planFor(from, { id: to, expires: new Date(Date.now() + 2 * 60 * 60_000) }));
    expect(await admin.exists(store.keyOf(from))).toBe(0);
    expect(await admin.pTTL(store.keyOf(to))).toBeGreaterThan(60 * 60_000);
    expect((await store.read(to))?.data).toEqual({ user: "ada" });
  });

  it("keeps all 50 keys when 50 applies on one id race from two separate clients", async () => {
    const [a, b] = [await connect(), await connect()];
    const id = createSessionId();
    await writeSession(a, id, { set: { start: true } }, inAMinute());
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 ? a : b).commit(planFor(id, { changes: changes({ set: { [`k${i}`]: i } }) })),
      ),
    );
    const data = (await a.read(id))?.data ?? {};
    const kept = Array.from({ length: 50 }, (_, i) => data[`k${i}`] === i).filter(Boolean).length;
    expect(kept).toBe(50);
    expect(data.start).toBe(true);
  });

  it("never shows a reader on another client half of an apply", async () => {
    const [writer, reader] = [await connect(), await connect()];
    const id = createSessionId();
    await writeSession(writer, id, { set: { a: 0, b: 0, c: 0 } }, inAMinute());
    let writing = true;
    const writes = (async () => {
      for (let i = 1; i <= 200; i++) await writeSession(writer, id, { set: { a: i, b: i, c: i } }, inAMinute());
      writing = false;
    })();
    const torn: SessionRecord[] = [];
    let reads = 0;
    while (writing && reads < 2000) {
      const data = (await reader.read(id))?.data ?? {};
      reads++;
      if (data.a !== data.b || data.b !== data.c) torn.push(data);
    }
    await writes;
    expect(torn).toEqual([]);
    expect((await reader.read(id))?.data).toEqual({ a: 200, b: 200, c: 200 });
  });

  it("matches applyChanges on the same change sets, flashes included", async () => {
    const store = await connect();
    const id = createSessionId();
    const steps: SessionChanges[] = [
      changes({ set: { a: 1, b: { x: [1, 2] }, __flash_f__: "one", __flash_g__: { n: 1 } } }),
      changes({ consumed: { __flash_f__: "one", __flash_g__: { n: 2 } }, set: { c: "x" } }),
      changes({ unset: ["a", "missing"], consumed: { __flash_g__: { n: 1 } }, set: { b: null } }),
      changes({ set: { __flash_f__: "two" }, consumed: { __flash_f__: "one" } }),
      changes({ set: { gone: undefined, 'q"\\\n\u0001é': "ü" } }),
    ];
    let expected: SessionRecord = {};
    for (const step of steps) {
      await writeSession(store, id, step, inAMinute());
      expected = JSON.parse(JSON.stringify(applyChanges(expected, step)));
      expect((await store.read(id))?.data).toEqual(expected);
    }
  });

  it("counts a session's size as the bytes of its JSON, like the SQLite store, and writes nothing when refused", async () => {
    const id = createSessionId();
    const data = { small: "x", 'we"ird\n\u0002key': "é".repeat(100) };
    const exact = Buffer.byteLength(JSON.stringify(data));
    const atLimit = await connect({ maxSessionBytes: exact });
    await writeSession(atLimit, id, { set: data }, inAMinute());
    expect((await atLimit.read(id))?.data).toEqual(data);

    const belowLimit = await connect({ maxSessionBytes: exact - 1 });
    const refused = writeSession(belowLimit, id, { set: { small: "y" }, unset: ["absent"] }, inAMinute());
    await expect(refused).rejects.toThrow(SessionTooLargeError);
    await expect(refused).rejects.toMatchObject({ size: exact, limit: exact - 1 });
    // A change that shrinks the session still goes through at the lower limit.
    await writeSession(belowLimit, id, { unset: ["small"] }, inAMinute());
    expect((await belowLimit.read(id))?.data).toEqual({ 'we"ird\n\u0002key': "é".repeat(100) });
  });

  it("takes a limit of 0 as no limit, as every store does", async () => {
    const store = await connect({ maxSessionBytes: 0 });
    const id = createSessionId();
    expect(await writeSession(store, id, { set: { big: "x".repeat(200_000) } }, inAMinute())).toBe("committed");
    expect((await store.read(id))?.data.big).toHaveLength(200_000);
  });

  it("stores a key with a lone surrogate as UTF-8 writes it, instead of failing the commit", async () => {
    const store = await connect();
    const id = createSessionId();
    expect(await writeSession(store, id, { set: { "\ud800x": 1, ok: 2 } })).toBe("committed");
    expect((await store.read(id))?.data).toEqual({ "\ufffdx": 1, ok: 2 });
  });

  it("answers the store's operations with SessionStoreUnavailableError once the client is closed", async () => {
    const store = await RedisSessionStore.connect({ url, prefix });
    await store.close();
    await expect(store.read(createSessionId())).rejects.toMatchObject({ name: "SessionStoreUnavailableError" });
  });
});

describeWithRedisCluster("RedisSessionStore on Redis Cluster", (urls) => {
  const prefix = clusterPrefix("redis-store");
  const open: RedisSessionStore[] = [];

  const connect = async (options: Partial<RedisSessionStoreOptions> = {}) => {
    const store = await RedisSessionStore.connect({ url: urls, cluster: true, prefix, ...options });
    open.push(store);
    return store;
  };

  afterEach(async () => {
    await Promise.all(open.splice(0).map((store) => store.close()));
  });
  afterAll(async () => {
    await deleteClusterKeys(urls, prefix);
  });

  describeSessionStore("redis cluster", (options) => connect(options));

  it("puts each id's tag in braces, and refuses a prefix with braces, which would take over the hash tag", async () => {
    const store = await connect();
    expect(store.keyOf("AbCdefgh")).toBe(`${prefix}{AbCd}efgh`);
    await expect(connect({ prefix: "{app}:" })).rejects.toThrow(/may not hold "\{" or "\}"/);
  });

  it("spreads sessions over every master, and regenerates and restarts each within its own slot", async () => {
    const store = await connect();
    const ids = Array.from({ length: 60 }, () => createSessionId());
    for (const id of ids) await writeSession(store, id, { set: { a: 1 } }, inAMinute());
    // 60 random tags over three masters: all on two or fewer by chance is about 1 in 10^10.
    const masters = await mastersOf(
      urls,
      ids.map((id) => store.keyOf(id)),
    );
    expect(new Set(masters).size).toBe(3);

    for (const [i, id] of ids.entries()) {
      const next = createSessionId(id);
      const plan =
        i % 2 === 0
          ? planFor(id, { id: next, changes: changes({ set: { b: 1 } }) })
          : planFor(id, { destroy: true, id: next, changes: changes({ set: { b: 1 } }) });
      expect(await store.commit(plan)).toBe("committed");
      expect(await store.read(id)).toBeNull();
      expect((await store.read(next))?.data).toEqual(i % 2 === 0 ? { a: 1, b: 1 } : { b: 1 });
    }
  });

  it("is refused by the cluster when a move's new id has another tag: the kept tag is what makes a regenerate one command", async () => {
    const store = await connect();
    const id = createSessionId();
    await writeSession(store, id, { set: { a: 1 } }, inAMinute());
    const [home] = await mastersOf(urls, [store.keyOf(id)]);
    let elsewhere = createSessionId();
    while ((await mastersOf(urls, [store.keyOf(elsewhere)]))[0] === home) elsewhere = createSessionId();
    await expect(store.commit(planFor(id, { id: elsewhere }))).rejects.toThrow(/CROSSSLOT/);
    expect((await store.read(id))?.data).toEqual({ a: 1 });
  });
});
