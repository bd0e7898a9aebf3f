import { isSession } from "@remix-run/node";
import { describe, expect, it } from "vitest";

import { TrackedSession } from "./tracked-session";

type Data = { a: number; b: string; [key: `mark:${string}`]: string };
type Flash = { notice: string };

let counter = 0;
const session = (data: Record<string, unknown> = {}, storedId: string | null = "stored") =>
  new TrackedSession<Data, Flash>(storedId ?? "new", data, { storedId, createId: () => `id-${++counter}` });

describe("TrackedSession", () => {
  it("passes Remix's isSession check", () => {
    expect(isSession(session())).toBe(true);
  });

  it("is unmodified until something is written", () => {
    const s = session({ a: 1 });
    expect(s.get("a")).toBe(1);
    expect(s.has("b")).toBe(false);
    expect(s.data).toEqual({ a: 1 });
    expect(s.isModified).toBe(false);
  });

  it("records sets and unsets, the later one winning for the same key", () => {
    const s = session({ a: 1, b: "x" });
    s.set("a", 2);
    s.unset("a");
    s.unset("b");
    s.set("b", "y");
    expect(s.changes).toEqual({ set: { b: "y" }, unset: ["a"], consumed: {} });
    expect(s.data).toEqual({ b: "y" });
  });

  it("treats setting undefined as removing the key, since JSON cannot hold it", () => {
    const s = session({ a: 1 });
    s.set("a", undefined as unknown as number);
    expect(s.changes.unset).toEqual(["a"]);
    expect(s.has("a")).toBe(false);
  });

  it("records a flash read as consumed, with the value that was read", () => {
    const s = session({ __flash_notice__: "saved" });
    expect(s.has("notice")).toBe(true);
    expect(s.get("notice")).toBe("saved");
    expect(s.get("notice")).toBeUndefined();
    expect(s.changes).toEqual({ set: {}, unset: [], consumed: { __flash_notice__: "saved" } });
  });

  it("nets out a flash set and read in the same request", () => {
    const s = session();
    s.flash("notice", "hi");
    expect(s.get("notice")).toBe("hi");
    expect(s.isModified).toBe(false);
  });

  it("regenerateId keeps the data under a fresh id and remembers the stored one", () => {
    const s = session({ a: 1 });
    s.regenerateId();
    expect(s.id).not.toBe("stored");
    expect(s.storedId).toBe("stored");
    expect(s.isRegenerated).toBe(true);
    expect(s.data).toEqual({ a: 1 });
  });

  it("regenerateId on a session the store never saw just picks a new id", () => {
    const s = session({}, null);
    s.regenerateId();
    expect(s.isRegenerated).toBe(false);
  });

  it("destroy empties the session, forgets pending changes and asks for the stored data to go", () => {
    const s = session({ a: 1 });
    s.set("b", "x");
    s.destroy();
    expect(s.data).toEqual({});
    expect(s.isDestroyed).toBe(true);
    expect(s.changes).toEqual({ set: {}, unset: [], consumed: {} });
    s.set("a", 5);
    expect(s.changes.set).toEqual({ a: 5 });
  });

  it("reports every change made after it was sealed", () => {
    const late: string[] = [];
    const s = session({ __flash_notice__: "x" });
    s.seal((key) => late.push(key));
    s.set("a", 1);
    s.unset("b");
    s.get("notice");
    expect(late).toEqual(["a", "b", "__flash_notice__"]);
  });
});
