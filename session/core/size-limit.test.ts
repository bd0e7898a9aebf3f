import { describe, expect, it } from "vitest";

import { SessionTooLargeError } from "./errors";
import { DEFAULT_MAX_SESSION_BYTES, enforceSizeLimit, sessionSizeLimit } from "./size-limit";

describe("sessionSizeLimit", () => {
  it("is 64 KiB when a store is given no limit, and what it is given otherwise, 0 included", () => {
    expect(sessionSizeLimit(undefined)).toBe(DEFAULT_MAX_SESSION_BYTES);
    expect(DEFAULT_MAX_SESSION_BYTES).toBe(65_536);
    expect(sessionSizeLimit(2048)).toBe(2048);
    expect(sessionSizeLimit(0)).toBe(0);
  });

  it("refuses a limit that is negative or not a whole number", () => {
    for (const wrong of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => sessionSizeLimit(wrong), String(wrong)).toThrow(RangeError);
    }
  });
});

describe("enforceSizeLimit", () => {
  it("refuses JSON over the limit in UTF-8 bytes, naming both sizes", () => {
    // 1000 "é" are 1000 UTF-16 units but 2000 UTF-8 bytes, plus the quotes.
    const json = JSON.stringify("é".repeat(1000));
    expect(() => enforceSizeLimit(json, 2002)).not.toThrow();
    const error = (() => {
      try {
        enforceSizeLimit(json, 2001);
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(SessionTooLargeError);
    expect(error).toMatchObject({ size: 2002, limit: 2001 });
  });

  it("lets anything through at 0, which means no limit", () => {
    expect(() => enforceSizeLimit("x".repeat(1_000_000), 0)).not.toThrow();
  });
});
