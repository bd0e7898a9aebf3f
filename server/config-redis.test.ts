import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { afterEach, describe, expect, it } from "vitest";

import { ConfigError, loadConfig } from "./config";

const folders: string[] = [];

function load(env: Record<string, string>) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "config-redis-test-"));
  folders.push(dataDir);
  return loadConfig({ NODE_ENV: "test", SESSION_SECRET: "s".repeat(40), DATA_DIR: dataDir, ...env }, () => {});
}

function errorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError, but the settings were accepted");
}

afterEach(() => {
  for (const folder of folders.splice(0)) fs.rmSync(folder, { recursive: true, force: true });
});

describe("the Redis settings", () => {
  it("reads REDIS_URL and the default key prefix when SESSION_STORE=redis", () => {
    const config = load({ SESSION_STORE: "redis", REDIS_URL: "redis://127.0.0.1:6379/2" });
    expect(config.session.store).toBe("redis");
    expect(config.session.redis).toEqual({ url: "redis://127.0.0.1:6379/2", prefix: "session:" });
  });

  it("takes the key prefix from SESSION_REDIS_PREFIX and accepts rediss:// URLs", () => {
    const config = load({
      SESSION_STORE: "redis",
      REDIS_URL: "rediss://u:p@cache:6380",
      SESSION_REDIS_PREFIX: "myapp:s:",
    });
    expect(config.session.redis).toEqual({ url: "rediss://u:p@cache:6380", prefix: "myapp:s:" });
  });

  it("refuses SESSION_STORE=redis without REDIS_URL, saying what to set", () => {
    const error = errorOf(() => load({ SESSION_STORE: "redis" }));
    expect(error.message).toContain("REDIS_URL is not set");
    expect(error.message).toContain("redis://127.0.0.1:6379");
  });

  it("refuses a REDIS_URL that is not a redis:// URL, without echoing its password", () => {
    expect(errorOf(() => load({ SESSION_STORE: "redis", REDIS_URL: "127.0.0.1:6379" })).message).toContain(
      'REDIS_URL must be a redis:// or rediss:// URL such as "redis://127.0.0.1:6379"; got "127.0.0.1:6379"',
    );
    const error = errorOf(() => load({ SESSION_STORE: "redis", REDIS_URL: "http://user:hunter2@cache:6379" }));
    expect(error.message).toContain("REDIS_URL must be");
    expect(error.message).not.toContain("hunter2");
  });

  it("ignores REDIS_URL for the other stores", () => {
    expect(load({ SESSION_STORE: "sqlite", REDIS_URL: "not a url" }).session.redis).toBeUndefined();
  });
});
