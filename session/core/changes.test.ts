import { describe, expect, it } from "vitest";

import { applyChanges, emptyChanges, hasChanges } from "./changes";

describe("applyChanges", () => {
  it("sets, removes and leaves untouched keys as they are", () => {
    const current = { keep: 1, drop: 2, replace: 3 };
    const next = applyChanges(current, { set: { replace: 4, add: 5 }, unset: ["drop", "absent"], consumed: {} });
    expect(next).toEqual({ keep: 1, replace: 4, add: 5 });
    expect(current).toEqual({ keep: 1, drop: 2, replace: 3 });
  });

  it("removes a consumed flash only while it holds the value that was read", () => {
    const current = { __flash_a__: "old", __flash_b__: { n: 2 } };
    const next = applyChanges(current, { set: {}, unset: [], consumed: { __flash_a__: "old", __flash_b__: { n: 1 } } });
    expect(next).toEqual({ __flash_b__: { n: 2 } });
  });
});

describe("hasChanges", () => {
  it("is false only for a change set that changes nothing", () => {
    expect(hasChanges(emptyChanges())).toBe(false);
    expect(hasChanges({ ...emptyChanges(), unset: ["a"] })).toBe(true);
    expect(hasChanges({ ...emptyChanges(), consumed: { a: 1 } })).toBe(true);
  });
});
