import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { TEST_SECRET } from "./server";

const TSX = path.resolve("node_modules/.bin/tsx");
const SERVER = path.resolve("server.ts");

// Settings of the machine running the tests must not decide the outcome.
const INHERITED_SETTINGS = [
  "SESSION_STORE",
  "SESSION_SECRET",
  "SESSION_REDIS_PREFIX",
  "REDIS_URL",
  "PORT",
  "HOST",
  "DATA_DIR",
  "LAB_ROUTES",
];

/** The environment `server.ts` gets: production on a free loopback port, plus `env`. */
function appEnv(env: Record<string, string>, dataDir: string): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const name of INHERITED_SETTINGS) delete base[name];
  return {
    ...base,
    NODE_ENV: "production",
    SESSION_SECRET: TEST_SECRET,
    PORT: "0",
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    // The tests drive the lab's routes, which production leaves out unless told.
    LAB_ROUTES: "on",
    ...env,
  };
}

/** A production app process (`tsx server.ts`, what `npm start` runs) started by a test. */
export class AppProcess {
  /** Where it answers, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  #child: ChildProcess;
  #output: { text: string };
  #dataDir: string;

  private constructor(url: string, child: ChildProcess, output: { text: string }, dataDir: string) {
    this.url = url;
    this.#child = child;
    this.#output = output;
    this.#dataDir = dataDir;
  }

  /** Starts `server.ts` and waits (at most `timeoutMs`) for its "ready" line. */
  static async start(env: Record<string, string>, timeoutMs = 60_000): Promise<AppProcess> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "app-process-"));
    const child = spawn(TSX, [SERVER], { env: appEnv(env, dataDir), stdio: ["ignore", "pipe", "pipe"] });
    const output = { text: "" };
    child.stdout!.on("data", (chunk) => (output.text += chunk));
    child.stderr!.on("data", (chunk) => (output.text += chunk));

    const url = await new Promise<string | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), timeoutMs);
      const onData = () => {
        const match = /ready at (http:\/\/[\d.]+:\d+)/.exec(output.text);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      };
      child.stdout!.on("data", onData);
      child.once("exit", () => {
        clearTimeout(timer);
        resolve(null);
      });
    });
    if (!url) {
      child.kill("SIGKILL");
      fs.rmSync(dataDir, { recursive: true, force: true });
      throw new Error(`server.ts did not become ready within ${timeoutMs} ms. Output:\n${output.text}`);
    }
    return new AppProcess(url, child, output, dataDir);
  }

  /** Everything it printed so far (stdout and stderr). */
  get output(): string {
    return this.#output.text;
  }

  /** Whether the process is still running. */
  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Sends SIGTERM, waits (bounded) for a clean exit, and returns the exit code (null when killed). */
  async stop(timeoutMs = 10_000): Promise<number | null> {
    if (this.running) {
      const exited = new Promise((resolve) => this.#child.once("exit", resolve));
      this.#child.kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, timeoutMs))]);
      if (this.running) {
        this.#child.kill("SIGKILL");
        await exited;
      }
    }
    fs.rmSync(this.#dataDir, { recursive: true, force: true });
    return this.#child.exitCode;
  }
}

/**
 * Runs `server.ts` with `env` expecting it to stop by itself, and reports how: exit code, output and
 * how long it took. Killed after `timeoutMs` (then `code` is null). `cwd` is where it looks for
 * build/ and .env (default: this repository).
 */
export async function runAppUntilExit(
  env: Record<string, string>,
  timeoutMs = 30_000,
  { cwd }: { cwd?: string } = {},
): Promise<{ code: number | null; output: string; elapsedMs: number }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "app-process-"));
  const startedAt = Date.now();
  const child = spawn(TSX, [SERVER], { cwd, env: appEnv(env, dataDir), stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once("exit", (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  fs.rmSync(dataDir, { recursive: true, force: true });
  return { code, output, elapsedMs: Date.now() - startedAt };
}
