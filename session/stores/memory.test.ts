import { describe, expect, it } from "vitest";

import { SessionTooLargeError } from "../core/errors";
import { createSessionId } from "../core/id";

import { MemorySessionStore } from "./memory";
import { describeSessionStore, writeSession } from "./store-contract";

describeSessionStore("memory", (options) => new MemorySessionStore(options));

describe("MemorySessionStore", () => {
  it("refuses a session over the size limit and leaves the stored data as it was", async () => {
    const store = new MemorySessionStore({ maxSessionBytes: 2048 });
    const id = createSessionId();
    const expires = new Date(Date.now() + 60_000);
    await writeSession(store, id, { set: { small: "x" } }, expires);
    const tooBig = writeSession(store, id, { set: { big: "x".repeat(4096) } }, expires);
    await expect(tooBig).rejects.toThrow(SessionTooLargeError);
    await expect(tooBig).rejects.toThrow(/over the limit of 2048 bytes/);
    expect((await store.read(id))?.data).toEqual({ small: "x" });
  });

  it("measures the limit in bytes of JSON, so multi-byte characters count in full", async () => {
    const store = new MemorySessionStore({ maxSessionBytes: 1100 });
    const id = createSessionId();
    const expires = new Date(Date.now() + 60_000);
    // 400 characters, 1200 bytes in UTF-8: over the limit although the string is short.
    await expect(writeSession(store, id, { set: { k: "€".repeat(400) } }, expires)).rejects.toThrow(
      SessionTooLargeError,
    );
    await writeSession(store, id, { set: { k: "x".repeat(1000) } }, expires);
    expect((await store.read(id))?.data.k).toHaveLength(1000);
  });
});
