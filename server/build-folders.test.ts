import { execFileSync } from "node:child_process";

import { describe, expect, it } from "vitest";

import { buildFolders } from "./build-folders";

/** remix.config.js as `remix build` reads it with `env` set. */
function remixConfig(env: Record<string, string>) {
  const script = "console.log(JSON.stringify((await import('./remix.config.js')).default))";
  const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    env: { PATH: process.env.PATH ?? "", NODE_ENV: "production", ...env },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  return JSON.parse(output) as {
    future: { v3_singleFetch: boolean };
    serverBuildPath?: string;
    assetsBuildDirectory?: string;
  };
}

describe("the build the server loads is the one remix.config.js wrote", () => {
  it.each(["on", "off"])("REMIX_SINGLE_FETCH=%s", (value) => {
    const config = remixConfig({ REMIX_SINGLE_FETCH: value });
    const folders = buildFolders({ REMIX_SINGLE_FETCH: value });
    expect(config.future.v3_singleFetch).toBe(folders.singleFetch);
    // Remix's defaults when the config names no folder.
    expect(config.serverBuildPath ?? "build/index.js").toBe(folders.serverBuildPath);
    expect(config.assetsBuildDirectory ?? "public/build").toBe(folders.assetsBuildDirectory);
  });

  it("is off when unset, and refuses anything but on and off", () => {
    expect(buildFolders({}).singleFetch).toBe(false);
    expect(() => buildFolders({ REMIX_SINGLE_FETCH: "true" })).toThrow(
      'REMIX_SINGLE_FETCH must be on or off, not "true".',
    );
    expect(() => remixConfig({ REMIX_SINGLE_FETCH: "yes" })).toThrow(
      'REMIX_SINGLE_FETCH must be on or off, not "yes".',
    );
  });

  it("leaves the Cloudflare builds without single fetch", () => {
    for (const target of ["cloudflare", "workers"]) {
      expect(remixConfig({ REMIX_SINGLE_FETCH: "on", REMIX_TARGET: target }).future.v3_singleFetch).toBe(false);
    }
  });
});
