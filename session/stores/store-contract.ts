import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { emptyChanges, type SessionChanges } from "../core/changes";
import { SessionTooLargeError } from "../core/errors";
import { createSessionId } from "../core/id";
import type { CommitPlan, CommitResult, SessionStore } from "../core/store";

const inAnHour = () => new Date(Date.now() + 60 * 60 * 1000);
const changes = (partial: Partial<SessionChanges>): SessionChanges => ({ ...emptyChanges(), ...partial });

/** A plan that updates (or, with `readId: null`, creates) one session in place. */
export function planFor(id: string, partial: Partial<CommitPlan> = {}): CommitPlan {
  return {
    readId: id,
    destroy: false,
    id,
    changes: emptyChanges(),
    expires: inAnHour(),
    lifetime: null,
    ...partial,
  };
}

/**
 * Test shorthand: lands `changes` on `id`, creating the session when the store does not hold it.
 * (Reading first is not atomic with the commit; concurrent callers must create the session first.)
 */
export async function writeSession(
  store: SessionStore,
  id: string,
  partial: Partial<SessionChanges>,
  expires: Date = inAnHour(),
): Promise<CommitResult> {
  const exists = (await store.read(id)) !== null;
  return store.commit(planFor(id, { readId: exists ? id : null, changes: changes(partial), expires }));
}

/**
 * The behaviour every `SessionStore` promises (see session/core/store.ts). Each store's own test
 * file runs it against a real instance of that store. A store that cannot commit atomically (Workers
 * KV) passes `{ atomic: false }`: the tests that need it are skipped, and the README says so.
 */
export function describeSessionStore(
  name: string,
  createStore: (options: { maxSessionBytes?: number }) => SessionStore | Promise<SessionStore>,
  options: { atomic?: boolean } = {},
) {
  const { atomic = true } = options;
  describe(`${name} store contract`, () => {
    let store: SessionStore;
    let id: string;

    beforeEach(async () => {
      store = await createStore({});
      id = createSessionId();
    });
    afterEach(async () => {
      await store.close();
    });

    it("reads an unknown id as null", async () => {
      expect(await store.read(id)).toBeNull();
    });

    it("creates a session when the request read none, and reads back its data, expiry and lifetime", async () => {
      const expires = inAnHour();
      const plan = planFor(id, { readId: null, changes: changes({ set: { a: 1, nested: { b: [true, "x"] } } }) });
      expect(await store.commit({ ...plan, expires, lifetime: "browser" })).toBe("committed");
      const stored = await store.read(id);
      expect(stored?.data).toEqual({ a: 1, nested: { b: [true, "x"] } });
      expect(stored?.lifetime).toBe("browser");
      expect(Math.abs(stored!.expires.getTime() - expires.getTime())).toBeLessThan(1000);
    });

    it("keeps a lifetime in seconds, and the default as null", async () => {
      await store.commit(planFor(id, { readId: null, changes: changes({ set: { a: 1 } }), lifetime: 600 }));
      expect((await store.read(id))?.lifetime).toBe(600);
      await store.commit(planFor(id, { lifetime: null }));
      expect((await store.read(id))?.lifetime).toBeNull();
    });

    it("applies changes onto the data held now, not onto a snapshot", async () => {
      await writeSession(store, id, { set: { a: 1, b: 1 } });
      await store.commit(planFor(id, { changes: changes({ set: { c: 1 } }) }));
      await store.commit(planFor(id, { changes: changes({ unset: ["a"] }) }));
      expect((await store.read(id))?.data).toEqual({ b: 1, c: 1 });
    });

    it.skipIf(!atomic)("keeps every key when many commits on one id run at the same time", async () => {
      await writeSession(store, id, { set: { start: true } });
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store.commit(planFor(id, { changes: changes({ set: { [`k${i}`]: i } }) })),
        ),
      );
      const data = (await store.read(id))?.data ?? {};
      expect(Object.keys(data)).toHaveLength(51);
      for (let i = 0; i < 50; i++) expect(data[`k${i}`]).toBe(i);
    });

    it("lets the last commit win when two write the same key", async () => {
      await writeSession(store, id, { set: { k: "first" } });
      await store.commit(planFor(id, { changes: changes({ set: { k: "second" } }) }));
      expect((await store.read(id))?.data.k).toBe("second");
    });

    it("removes a consumed flash only while it still holds the value that was read", async () => {
      await writeSession(store, id, { set: { __flash_a__: "old", __flash_b__: "old" } });
      // Another request replaced flash b before this one's consume of the old value landed.
      await store.commit(planFor(id, { changes: changes({ set: { __flash_b__: "new" } }) }));
      await store.commit(planFor(id, { changes: changes({ consumed: { __flash_a__: "old", __flash_b__: "old" } }) }));
      expect((await store.read(id))?.data).toEqual({ __flash_b__: "new" });
    });

    it("extends the expiry of a session with no changes", async () => {
      await writeSession(store, id, { set: { a: 1 } }, new Date(Date.now() + 60_000));
      const later = new Date(Date.now() + 2 * 60 * 60 * 1000);
      expect(await store.commit(planFor(id, { expires: later }))).toBe("committed");
      const stored = await store.read(id);
      expect(stored?.data).toEqual({ a: 1 });
      expect(Math.abs(stored!.expires.getTime() - later.getTime())).toBeLessThan(1000);
    });

    it("moves a regenerated session to its new id, with the request's changes, and deletes the old id", async () => {
      await writeSession(store, id, { set: { cart: 3 } });
      // As the storage makes it: the new id keeps the old one's tag (Redis Cluster needs one slot).
      const next = createSessionId(id);
      const result = await store.commit(planFor(id, { id: next, changes: changes({ set: { user: "ada" } }) }));
      expect(result).toBe("committed");
      expect(await store.read(id)).toBeNull();
      expect((await store.read(next))?.data).toEqual({ cart: 3, user: "ada" });
    });

    it("deletes the data on destroy, and starts an empty session under a new id for changes made after it", async () => {
      await writeSession(store, id, { set: { user: "ada", cart: 3 } });
      expect(await store.commit(planFor(id, { destroy: true, id: null }))).toBe("committed");
      expect(await store.read(id)).toBeNull();

      const other = createSessionId();
      await writeSession(store, other, { set: { user: "bob" } });
      const fresh = createSessionId(other);
      await store.commit(
        planFor(other, { destroy: true, id: fresh, changes: changes({ set: { __flash_notice__: "bye" } }) }),
      );
      expect(await store.read(other)).toBeNull();
      expect((await store.read(fresh))?.data).toEqual({ __flash_notice__: "bye" });
    });

    it("treats destroying an unknown id as done", async () => {
      expect(await store.commit(planFor(id, { destroy: true, id: null }))).toBe("committed");
      expect(await store.read(id)).toBeNull();
    });

    it("never recreates a session that was destroyed after the request read it", async () => {
      await writeSession(store, id, { set: { user: "ada" } });
      await store.commit(planFor(id, { destroy: true, id: null }));
      expect(await store.commit(planFor(id, { changes: changes({ set: { theme: "dark" } }) }))).toBe("gone");
      expect(await store.commit(planFor(id))).toBe("gone");
      expect(await store.read(id)).toBeNull();
    });

    it("refuses to update or move a session that another request moved to a new id, and writes nothing", async () => {
      await writeSession(store, id, { set: { cart: 3 } });
      const first = createSessionId(id);
      await store.commit(planFor(id, { id: first, changes: changes({ set: { user: "ada" } }) }));
      const second = createSessionId(id);
      expect(await store.commit(planFor(id, { id: second, changes: changes({ set: { user: "eve" } }) }))).toBe("gone");
      expect(await store.commit(planFor(id, { changes: changes({ set: { theme: "dark" } }) }))).toBe("gone");
      expect(await store.read(id)).toBeNull();
      expect(await store.read(second)).toBeNull();
      expect((await store.read(first))?.data).toEqual({ cart: 3, user: "ada" });
    });

    it("refuses a commit that would make the session too large and changes nothing, not even the move", async () => {
      const limited = await createStore({ maxSessionBytes: 2048 });
      try {
        await writeSession(limited, id, { set: { small: "x" } });
        const next = createSessionId(id);
        const tooBig = limited.commit(planFor(id, { id: next, changes: changes({ set: { big: "x".repeat(4096) } }) }));
        await expect(tooBig).rejects.toThrow(SessionTooLargeError);
        expect((await limited.read(id))?.data).toEqual({ small: "x" });
        expect(await limited.read(next)).toBeNull();
      } finally {
        await limited.close();
      }
    });

    it("never returns an expired session, and an expired session is gone for commits", async () => {
      await writeSession(store, id, { set: { a: 1 } }, new Date(Date.now() - 1000));
      expect(await store.read(id)).toBeNull();
      expect(await store.commit(planFor(id, { changes: changes({ set: { b: 1 } }) }))).toBe("gone");
    });
  });
}
