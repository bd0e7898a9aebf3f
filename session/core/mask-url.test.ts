import { describe, expect, it } from "vitest";

import { maskUrlCredentials } from "./mask-url";

describe("maskUrlCredentials", () => {
  it.each([
    ["redis://user:hunter2@cache:6379/0", "redis://user:***@cache:6379/0"],
    ["rediss://default:s3cret@cache.example:6380", "rediss://default:***@cache.example:6380"],
    ["redis://:hunter2@cache:6379", "redis://***@cache:6379"],
    ["redis://hunter2@cache:6379", "redis://***@cache:6379"],
    ["https://user:pw@example.com/a?b=c#d", "https://user:***@example.com/a?b=c#d"],
  ])("masks the password of %s", (url, masked) => {
    expect(maskUrlCredentials(url)).toBe(masked);
  });

  it.each([
    ["/", "redis://user:p/a@s:s@host:6379/0", "redis://user:***@host:6379/0"],
    ["@", "redis://user:p@ss@host:6379", "redis://user:***@host:6379"],
    [":", "redis://user:p:a:ss@host:6379", "redis://user:***@host:6379"],
    ["#", "redis://user:pa#ss@host:6379/1", "redis://user:***@host:6379/1"],
    ["?", "redis://user:pa?ss@host", "redis://user:***@host"],
    ["\\", "redis://user:pa\\ss@host", "redis://user:***@host"],
    ["all of them", "redis://user:/@:#?/x@host:6379/0", "redis://user:***@host:6379/0"],
    [
      "digits and a slash (new URL reads it as a port and a path)",
      "redis://user:123/abc@host:6379",
      "redis://user:***@host:6379",
    ],
  ])("never shows a password containing %s", (_what, url, masked) => {
    expect(maskUrlCredentials(url)).toBe(masked);
  });

  it("masks URLs that new URL cannot parse, and strings that are no URL at all", () => {
    expect(() => new URL("redis://user:pa ss@host:port")).toThrow();
    expect(maskUrlCredentials("redis://user:pa ss@host:port")).toBe("redis://user:***@host:port");
    expect(maskUrlCredentials("user:hunter2@cache:6379")).toBe("user:***@cache:6379");
    expect(maskUrlCredentials("user:hun:ter2@cache:6379")).toBe("user:***@cache:6379");
    expect(maskUrlCredentials("hunter2@cache:6379")).toBe("***@cache:6379");
    expect(maskUrlCredentials("http:user:hunter2@cache")).not.toContain("hunter2");
    expect(maskUrlCredentials("redis:/user:hunter2@cache")).toBe("redis:/user:***@cache");
  });

  it("leaves URLs without credentials as they are", () => {
    for (const url of [
      "redis://127.0.0.1:6379",
      "redis://cache:6379/2",
      "127.0.0.1:6379",
      "",
      "not a url",
      "https://example.com/a?b=c#d",
    ]) {
      expect(maskUrlCredentials(url)).toBe(url);
    }
  });

  it("shows no part of the password for generated URLs", () => {
    const alphabet = "ab/@:#?\\%.-_~!$&'()*+,;= ";
    for (let run = 0; run < 2000; run++) {
      const password =
        "PW" +
        Array.from({ length: 1 + (run % 12) }, (_, i) => alphabet[(run * 7 + i * 13) % alphabet.length]).join("") +
        "Z";
      for (const url of [
        `redis://user:${password}@host:6379/0`,
        `redis://:${password}@host`,
        `user:${password}@host`,
      ]) {
        const masked = maskUrlCredentials(url);
        expect(masked, url).not.toContain("PW");
        expect(masked, url).not.toContain("Z");
      }
    }
  });
});
