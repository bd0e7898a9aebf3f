import { describe, expect, it } from "vitest";

import { isCrossOriginWrite } from "./same-origin";

const request = (method: string, headers: Record<string, string> = {}) =>
  new Request("http://shop.example:3000/cart?_data=routes%2Fcart", { method, headers });

describe("isCrossOriginWrite", () => {
  it("lets reads through whatever their Origin", () => {
    expect(isCrossOriginWrite(request("GET", { Origin: "https://evil.example" }))).toBe(false);
    expect(isCrossOriginWrite(request("HEAD", { Origin: "https://evil.example" }))).toBe(false);
  });

  it("lets writes from this site, and writes without an Origin (non-browser clients), through", () => {
    expect(isCrossOriginWrite(request("POST", { Origin: "http://shop.example:3000" }))).toBe(false);
    expect(isCrossOriginWrite(request("DELETE"))).toBe(false);
  });

  it("refuses writes from another host, port, an opaque origin or a malformed one", () => {
    for (const origin of ["https://evil.example", "http://shop.example:4000", "null", "not a url"]) {
      expect(isCrossOriginWrite(request("POST", { Origin: origin })), origin).toBe(true);
    }
  });

  it("compares with X-Forwarded-Host when a proxy set it", () => {
    const proxied = { "X-Forwarded-Host": "www.shop.example" };
    expect(isCrossOriginWrite(request("POST", { ...proxied, Origin: "https://www.shop.example" }))).toBe(false);
    expect(isCrossOriginWrite(request("POST", { ...proxied, Origin: "http://shop.example:3000" }))).toBe(true);
  });
});
