import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import { afterEach, describe, expect, it } from "vitest";

const run = promisify(execFile);
const TSX = path.resolve("node_modules/.bin/tsx");
const SERVER = path.resolve("server.ts");
const folders: string[] = [];

/**
 * Starts `server.ts` in a fresh working folder holding only the given .env. Both cases below stop
 * before listening (a bad setting, or no build in that folder), so the process always ends.
 */
async function startServerWith(envFile: string, env: Record<string, string> = {}) {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "env-file-test-"));
  folders.push(cwd);
  fs.writeFileSync(path.join(cwd, ".env"), envFile);
  const childEnv: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: "test", ...env };
  // Settings of the machine running the tests must not decide the outcome.
  for (const name of ["SESSION_STORE", "PORT", "SESSION_SECRET"]) if (!(name in env)) delete childEnv[name];
  try {
    await run(TSX, [SERVER], { cwd, env: childEnv, timeout: 60_000 });
    return { code: 0, stderr: "" };
  } catch (error) {
    const failure = error as { code?: number; stderr?: string };
    return { code: failure.code, stderr: failure.stderr ?? "" };
  }
}

afterEach(() => {
  for (const folder of folders.splice(0)) fs.rmSync(folder, { recursive: true, force: true });
});

describe("server.ts and .env", () => {
  it("reads .env before checking the settings, so a wrong value there stops the start with its message", async () => {
    const result = await startServerWith("# a comment\nSESSION_STORE=bogus\n");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Cannot start: SESSION_STORE must be one of");
    expect(result.stderr).toContain('got "bogus"');
  });

  it("lets the environment win over .env", async () => {
    const result = await startServerWith("SESSION_STORE=bogus\n", { SESSION_STORE: "memory" });
    // Past the settings, the start fails only because this folder has no build.
    expect(result.stderr).not.toContain("SESSION_STORE");
    expect(result.stderr).toContain("Cannot start: there is no server build");
  });
});
