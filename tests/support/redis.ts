import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

import { createClient } from "redis";
import { describe, inject, it } from "vitest";

/** The shared Redis the tests use (CI starts one and exports it), or undefined. */
export const REDIS_URL = process.env.REDIS_URL || undefined;

/**
 * `describe` for tests that need a Redis server: skipped without REDIS_URL (redis-global-setup.ts
 * prints the one line saying so), except in CI (CI=true), where a missing REDIS_URL is a failure.
 */
export function describeWithRedis(name: string, body: (url: string) => void): void {
  if (REDIS_URL) {
    describe(name, () => body(REDIS_URL));
  } else if (process.env.CI === "true") {
    describe(name, () => {
      it("has a Redis to run against", () => {
        throw new Error(
          "CI=true but REDIS_URL is not set: the Redis tests must run in CI (.ci/run starts redis-server).",
        );
      });
    });
  } else {
    describe.skip(name, () => body(""));
  }
}

/**
 * A key prefix no other test uses, so tests can share one Redis. It starts with this run's
 * `test:<run>:`, under which redis-global-setup.ts looks for keys left behind after the run.
 */
export function uniquePrefix(label: string): string {
  return `test:${inject("redisRun") ?? "unchecked"}:${label}:${crypto.randomBytes(6).toString("hex")}:`;
}

/** Deletes every key under `prefix`. */
export async function deleteKeys(url: string, prefix: string): Promise<void> {
  const client = createClient({ url });
  client.on("error", () => {});
  await client.connect();
  try {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
      if (keys.length > 0) await client.del(keys);
    }
  } finally {
    client.destroy();
  }
}

/** A loopback TCP port that nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Waits until `check` returns true, polling; false when `timeoutMs` passed first. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  everyMs = 100,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * A redis-server of a test's own, on a free loopback port, with an append-only file that fsyncs
 * every write (so a kill -9 keeps what Redis acknowledged). Stopping it disturbs no other test.
 */
export class PrivateRedis {
  /** The port it listens on; kept across restarts. */
  readonly port: number;
  /** Its folder (append-only file, log). */
  readonly dir: string;
  #process: ChildProcess | undefined;

  private constructor(port: number, dir: string) {
    this.port = port;
    this.dir = dir;
  }

  /** Starts a new server and waits until it answers PING. */
  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort(), fs.mkdtempSync(path.join(os.tmpdir(), "private-redis-")));
    await redis.restart();
    return redis;
  }

  /** `redis://127.0.0.1:<port>`. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Whether the server process is running. */
  get running(): boolean {
    return this.#process !== undefined && this.#process.exitCode === null && this.#process.signalCode === null;
  }

  /** Starts the server (again) on the same port and folder, and waits until it answers. */
  async restart(): Promise<void> {
    if (this.running) throw new Error("redis-server is already running");
    const child = spawn(
      "redis-server",
      [
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--dir",
        this.dir,
        "--save",
        "",
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--logfile",
        path.join(this.dir, "redis.log"),
      ],
      { stdio: "ignore" },
    );
    this.#process = child;
    const answered = await waitFor(() => this.#ping(), 10_000);
    if (!answered) {
      child.kill("SIGKILL");
      throw new Error(`redis-server on port ${this.port} did not answer within 10 s; see ${this.dir}/redis.log`);
    }
  }

  /** Stops the server with `signal` (SIGKILL: as a crash) and waits until the process is gone. */
  async stop(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const child = this.#process;
    if (!child || !this.running) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill(signal);
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    if (this.running) {
      child.kill("SIGKILL");
      await exited;
    }
  }

  /** Freezes the server (SIGSTOP): connections stay open but nothing answers. */
  pause(): void {
    this.#process?.kill("SIGSTOP");
  }

  /** Thaws a paused server. */
  resume(): void {
    this.#process?.kill("SIGCONT");
  }

  /** Stops the server and removes its folder. */
  async dispose(): Promise<void> {
    this.resume();
    await this.stop("SIGKILL");
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  async #ping(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = net.connect(this.port, "127.0.0.1");
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.setTimeout(1000, () => done(false));
      socket.once("error", () => done(false));
      socket.once("connect", () => socket.write("PING\r\n"));
      // A server still loading its append-only file answers -LOADING, not +PONG.
      socket.once("data", (data) => done(data.toString().startsWith("+PONG")));
    });
  }
}
