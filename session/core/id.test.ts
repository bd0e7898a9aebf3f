import { describe, expect, it } from "vitest";

import { createSessionId, ID_TAG_LENGTH, isSessionId } from "./id";

const SAMPLES = 20_000;

/** The 27 bytes behind an id: 3 of tag, 24 random. */
const bytesOf = (id: string) => Buffer.from(id, "base64url");

describe("session ids", () => {
  const ids = Array.from({ length: SAMPLES }, createSessionId);

  it("are 36 base64url characters: a 24-bit tag and 192 random bits", () => {
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{36}$/);
      expect(bytesOf(id)).toHaveLength(27);
      expect(bytesOf(id).toString("base64url")).toBe(id);
    }
  });

  it("never repeat", () => {
    expect(new Set(ids).size).toBe(SAMPLES);
  });

  it("set every one of the 216 bits about half the time (no stuck or biased bit)", () => {
    const ones = new Array<number>(216).fill(0);
    for (const id of ids) {
      bytesOf(id).forEach((byte, i) => {
        for (let bit = 0; bit < 8; bit++) if (byte & (1 << bit)) ones[i * 8 + bit]++;
      });
    }
    // Binomial(20000, 1/2): standard deviation ~71; 8 deviations either side never trips by chance.
    for (const count of ones) {
      expect(count).toBeGreaterThan(SAMPLES / 2 - 8 * 71);
      expect(count).toBeLessThan(SAMPLES / 2 + 8 * 71);
    }
  });

  it("use every byte value at every position (no reduced alphabet)", () => {
    const seen = Array.from({ length: 27 }, () => new Set<number>());
    for (const id of ids) bytesOf(id).forEach((byte, i) => seen[i].add(byte));
    // 20000 draws from 256 values: the chance of missing one is below 1e-30.
    for (const values of seen) expect(values.size).toBe(256);
  });

  it("are recognised, and nothing else is looked up as an id", () => {
    expect(ids.every(isSessionId)).toBe(true);
    for (const other of [
      "",
      "A".repeat(31),
      "A".repeat(33),
      "A".repeat(35),
      "A".repeat(37),
      `${"A".repeat(31)}=`,
      `${"A".repeat(31)}+`,
      `${"A".repeat(31)}/`,
      `${"A".repeat(31)}.`,
      ` ${"A".repeat(31)}`,
      42,
      null,
      {},
      ["A".repeat(32)],
    ]) {
      expect(isSessionId(other), JSON.stringify(other)).toBe(false);
    }
  });

  it("keep the tag of the id they replace, with 192 fresh random bits beside it", () => {
    const old = createSessionId();
    const next = Array.from({ length: SAMPLES }, () => createSessionId(old));
    for (const id of next) {
      expect(isSessionId(id)).toBe(true);
      expect(id.slice(0, ID_TAG_LENGTH)).toBe(old.slice(0, ID_TAG_LENGTH));
    }
    expect(new Set(next).size).toBe(SAMPLES);
    expect(next).not.toContain(old);
    // The 24 bytes after the tag vary as in fresh ids: every value at every position, no stuck bit.
    const seen = Array.from({ length: 24 }, () => new Set<number>());
    for (const id of next)
      bytesOf(id)
        .subarray(3)
        .forEach((byte, i) => seen[i].add(byte));
    for (const values of seen) expect(values.size).toBe(256);
  });

  it("take the tag of an id made before tags, its first four characters, and ignore what is not an id", () => {
    const earlier = "AbCd" + "x".repeat(28);
    expect(isSessionId(earlier)).toBe(true);
    expect(createSessionId(earlier).slice(0, ID_TAG_LENGTH)).toBe("AbCd");
    expect(createSessionId("not an id")).toMatch(/^[A-Za-z0-9_-]{36}$/);
  });
});
