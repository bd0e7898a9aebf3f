import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { emptyChanges, type SessionChanges } from "../core/changes";
import { createSessionId } from "../core/id";
import type { SessionStore } from "../core/store";

const inAnHour = () => new Date(Date.now() + 60 * 60 * 1000);
const changes = (partial: Partial<SessionChanges>): SessionChanges => ({ ...emptyChanges(), ...partial });

/**
 * The behaviour every `SessionStore` promises (see session/core/store.ts). Each store's own test
 * file runs it against a real instance of that store. A store that cannot apply atomically (Workers
 * KV) passes `{ atomicApply: false }`: that one test is skipped, and the README says so.
 */
export function describeSessionStore(
  name: string,
  createStore: () => SessionStore | Promise<SessionStore>,
  options: { atomicApply?: boolean } = {},
) {
  const { atomicApply = true } = options;
  describe(`${name} store contract`, () => {
    let store: SessionStore;
    let id: string;

    beforeEach(async () => {
      store = await createStore();
      id = createSessionId();
    });
    afterEach(async () => {
      await store.close();
    });

    it("reads an unknown id as null", async () => {
      expect(await store.read(id)).toBeNull();
    });

    it("creates a session on the first apply and reads back its data and expiry", async () => {
      const expires = inAnHour();
      await store.apply(id, changes({ set: { a: 1, nested: { b: [true, "x"] } } }), expires);
      const stored = await store.read(id);
      expect(stored?.data).toEqual({ a: 1, nested: { b: [true, "x"] } });
      expect(Math.abs(stored!.expires.getTime() - expires.getTime())).toBeLessThan(1000);
    });

    it("applies changes onto the data held now, not onto a snapshot", async () => {
      await store.apply(id, changes({ set: { a: 1, b: 1 } }), inAnHour());
      await store.apply(id, changes({ set: { c: 1 } }), inAnHour());
      await store.apply(id, changes({ unset: ["a"] }), inAnHour());
      expect((await store.read(id))?.data).toEqual({ b: 1, c: 1 });
    });

    it.skipIf(!atomicApply)("keeps every key when many applies on one id run at the same time", async () => {
      await Promise.all(
        Array.from({ length: 50 }, (_, i) => store.apply(id, changes({ set: { [`k${i}`]: i } }), inAnHour())),
      );
      const data = (await store.read(id))?.data ?? {};
      expect(Object.keys(data)).toHaveLength(50);
      for (let i = 0; i < 50; i++) expect(data[`k${i}`]).toBe(i);
    });

    it("lets the last apply win when two write the same key", async () => {
      await store.apply(id, changes({ set: { k: "first" } }), inAnHour());
      await store.apply(id, changes({ set: { k: "second" } }), inAnHour());
      expect((await store.read(id))?.data.k).toBe("second");
    });

    it("removes a consumed flash only while it still holds the value that was read", async () => {
      await store.apply(id, changes({ set: { __flash_a__: "old", __flash_b__: "old" } }), inAnHour());
      // Another request replaced flash b before this one's consume of the old value landed.
      await store.apply(id, changes({ set: { __flash_b__: "new" } }), inAnHour());
      await store.apply(id, changes({ consumed: { __flash_a__: "old", __flash_b__: "old" } }), inAnHour());
      expect((await store.read(id))?.data).toEqual({ __flash_b__: "new" });
    });

    it("renames a session: the data moves and the old id is gone", async () => {
      await store.apply(id, changes({ set: { user: "ada" } }), inAnHour());
      const next = createSessionId();
      await store.rename(id, next, inAnHour());
      expect(await store.read(id)).toBeNull();
      expect((await store.read(next))?.data).toEqual({ user: "ada" });
    });

    it("treats renaming or destroying an unknown id as a no-op", async () => {
      await store.rename(id, createSessionId(), inAnHour());
      await store.destroy(id);
      expect(await store.read(id)).toBeNull();
    });

    it("extends the expiry on touch without changing the data", async () => {
      await store.apply(id, changes({ set: { a: 1 } }), new Date(Date.now() + 60_000));
      const later = new Date(Date.now() + 2 * 60 * 60 * 1000);
      await store.touch(id, later);
      const stored = await store.read(id);
      expect(stored?.data).toEqual({ a: 1 });
      expect(Math.abs(stored!.expires.getTime() - later.getTime())).toBeLessThan(1000);
    });

    it("deletes the data on destroy", async () => {
      await store.apply(id, changes({ set: { a: 1 } }), inAnHour());
      await store.destroy(id);
      expect(await store.read(id)).toBeNull();
    });

    it("never returns an expired session", async () => {
      await store.apply(id, changes({ set: { a: 1 } }), new Date(Date.now() - 1000));
      expect(await store.read(id)).toBeNull();
    });
  });
}
