import { describe, expect, it } from "vitest";

import { privateCacheControl } from "./cache-control";

describe("privateCacheControl", () => {
  it("makes a response without Cache-Control private and revalidated", () => {
    expect(privateCacheControl(null)).toBe("private, no-cache");
  });

  it.each([
    ["public, max-age=60", "private, max-age=60"],
    ["s-maxage=600", "private"],
    ["s-maxage = 600, max-age=5", "private, max-age=5"],
    ["PUBLIC, S-MAXAGE=10", "private"],
    ["  public ,max-age=60  ", "private, max-age=60"],
    ['private="Set-Cookie", max-age=5', "private, max-age=5"],
    ['no-cache="Set-Cookie, Foo", public', 'private, no-cache="Set-Cookie, Foo"'],
    ["no-store, public", "no-store"],
    ["NO-STORE", "NO-STORE"],
  ])("rewrites %j as %j", (input, output) => {
    expect(privateCacheControl(input)).toBe(output);
  });
});
