import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

import { createClient, createCluster } from "redis";
import { describe, inject, it } from "vitest";
import type { TestProject } from "vitest/node";

// Everything the Redis Cluster tests need, in one file: the nodes as processes, the `describe` that
// runs or skips the tests, the key clean-up, the Vitest global setup (default export) and a command
// that starts a cluster for CI or a developer (`npx tsx tests/support/redis-cluster.ts 7101 7102 7103`).

declare module "vitest" {
  export interface ProvidedContext {
    /** Every cluster key this run's tests write starts with `test:<redisClusterRun>:` (see clusterPrefix). */
    redisClusterRun?: string;
  }
}

/** The shared cluster the tests use (CI starts one and exports it): its node URLs, comma-separated. */
export const REDIS_CLUSTER_URL = process.env.REDIS_CLUSTER_URL || undefined;

/** The ports the shared cluster listens on, in CI and in the command the skip message names. */
export const SHARED_CLUSTER_PORTS = [7101, 7102, 7103];
/** The ports of the private cluster a test may stop, freeze and restart (tests/redis-outage.test.ts). */
export const PRIVATE_CLUSTER_PORTS = [7104, 7105, 7106];

/** The command that starts the shared cluster in the foreground; it prints REDIS_CLUSTER_URL once ready. */
const START_COMMAND = `npx tsx tests/support/redis-cluster.ts ${SHARED_CLUSTER_PORTS.join(" ")}`;

/**
 * `describe` for tests that need Redis Cluster: skipped without REDIS_CLUSTER_URL (the global setup
 * prints one line saying so), except in CI (CI=true), where a missing REDIS_CLUSTER_URL is a failure.
 */
export function describeWithRedisCluster(name: string, body: (urls: string[]) => void): void {
  if (REDIS_CLUSTER_URL) {
    describe(name, () => body(REDIS_CLUSTER_URL.split(",")));
  } else if (process.env.CI === "true") {
    describe(name, () => {
      it("has a Redis Cluster to run against", () => {
        throw new Error(
          "CI=true but REDIS_CLUSTER_URL is not set: the Redis Cluster tests must run in CI (.ci/run starts the cluster).",
        );
      });
    });
  } else {
    describe.skip(name, () => body([]));
  }
}

/** A key prefix no other test uses, under this run's `test:<run>:`, which the global setup checks afterwards. */
export function clusterPrefix(label: string): string {
  return `test:${inject("redisClusterRun") ?? "unchecked"}:${label}:${crypto.randomBytes(6).toString("hex")}:`;
}

/** Deletes every key under `prefix` on every master of the cluster; returns the keys it found. */
export async function deleteClusterKeys(urls: string[], prefix: string): Promise<string[]> {
  const cluster = createCluster({ rootNodes: urls.map((url) => ({ url })) });
  cluster.on("error", () => {});
  await cluster.connect();
  const found: string[] = [];
  try {
    for (const master of cluster.masters) {
      const client = await cluster.nodeClient(master);
      for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
        found.push(...keys);
        // One DEL per key: keys in different slots cannot share a command.
        for (const key of keys) await client.del(key);
      }
    }
  } finally {
    cluster.destroy();
  }
  return found;
}

/** The address (`host:port`) of the master that holds each key's slot, as the cluster at `urls` says. */
export async function mastersOf(urls: string[], keys: string[]): Promise<string[]> {
  const client = createClient({ url: urls[0] });
  client.on("error", () => {});
  await client.connect();
  try {
    const ranges = (await client.sendCommand(["CLUSTER", "SLOTS"])) as Array<[number, number, [string, number]]>;
    const addresses: string[] = [];
    for (const key of keys) {
      const slot = Number(await client.sendCommand(["CLUSTER", "KEYSLOT", key]));
      const range = ranges.find(([from, to]) => slot >= from && slot <= to);
      if (!range) throw new Error(`No node holds slot ${slot}`);
      addresses.push(`${range[2][0]}:${range[2][1]}`);
    }
    return addresses;
  } finally {
    client.destroy();
  }
}

/**
 * Three (or more) redis-server processes with `--cluster-enabled yes`, joined by `redis-cli --cluster
 * create` into a cluster of masters without replicas, on loopback ports in a folder of their own.
 * Each node keeps an append-only file fsynced on every write, so a node killed and restarted comes
 * back with what it acknowledged, and rejoins the cluster from its nodes.conf.
 */
export class RedisClusterNodes {
  /** The nodes' ports. */
  readonly ports: number[];
  /** Their folder (one subfolder per node: nodes.conf, append-only file, log). */
  readonly dir: string;
  #processes = new Map<number, ChildProcess>();

  private constructor(ports: number[], dir: string) {
    this.ports = ports;
    this.dir = dir;
  }

  /** Starts a node on each port, creates the cluster, and waits until every node reports it ok. */
  static async start(ports: number[]): Promise<RedisClusterNodes> {
    for (const port of ports) {
      if (await answers(port)) {
        throw new Error(
          `Port ${port} is taken: a Redis Cluster node needs it (a cluster left running by an earlier run?)`,
        );
      }
    }
    const nodes = new RedisClusterNodes(ports, fs.mkdtempSync(path.join(os.tmpdir(), "redis-cluster-")));
    try {
      await Promise.all(ports.map((port) => nodes.restart(port, { joined: false })));
      const created = spawnSync(
        "redis-cli",
        ["--cluster", "create", ...ports.map((port) => `127.0.0.1:${port}`), "--cluster-yes"],
        { encoding: "utf8", timeout: 30_000 },
      );
      if (created.status !== 0) {
        throw new Error(`redis-cli --cluster create failed: ${created.stderr || created.stdout}`);
      }
      await nodes.waitUntilOk();
    } catch (error) {
      await nodes.dispose();
      throw error;
    }
    return nodes;
  }

  /** The nodes' URLs, `redis://127.0.0.1:<port>`. */
  get urls(): string[] {
    return this.ports.map((port) => `redis://127.0.0.1:${port}`);
  }

  /** Whether the node on `port` is running. */
  running(port: number): boolean {
    const child = this.#processes.get(port);
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** The port of the master that holds `key`'s slot. */
  async portOf(key: string): Promise<number> {
    const [address] = await mastersOf(this.urls, [key]);
    return Number(address.split(":")[1]);
  }

  /** Starts the node on `port` (again) from its folder, and waits until it answers and, if `joined`, the cluster is ok. */
  async restart(port: number, { joined = true } = {}): Promise<void> {
    if (this.running(port)) throw new Error(`The node on port ${port} is already running`);
    const dir = path.join(this.dir, String(port));
    fs.mkdirSync(dir, { recursive: true });
    const child = spawn(
      "redis-server",
      [
        ...["--port", String(port), "--bind", "127.0.0.1", "--dir", dir],
        ...["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"],
        // A stopped node is marked failed after about a second, not the default 15.
        ...["--cluster-node-timeout", "1000"],
        ...["--save", "", "--appendonly", "yes", "--appendfsync", "always"],
        ...["--logfile", path.join(dir, "redis.log")],
      ],
      { stdio: "ignore" },
    );
    this.#processes.set(port, child);
    if (!(await waitFor(() => answers(port), 10_000))) {
      child.kill("SIGKILL");
      throw new Error(`redis-server on port ${port} did not answer within 10 s; see ${dir}/redis.log`);
    }
    if (joined) await this.waitUntilOk();
  }

  /** Waits until every running node says `cluster_state:ok`. */
  async waitUntilOk(timeoutMs = 30_000): Promise<void> {
    const ok = await waitFor(async () => {
      for (const port of this.ports) {
        if (this.running(port) && !(await clusterOk(port))) return false;
      }
      return true;
    }, timeoutMs);
    if (!ok) throw new Error(`The cluster on ports ${this.ports.join(", ")} is not ok after ${timeoutMs} ms`);
  }

  /** Stops the node on `port` with `signal` (SIGKILL: as a crash) and waits until its process is gone. */
  async stop(port: number, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const child = this.#processes.get(port);
    if (!child || !this.running(port)) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGCONT");
    child.kill(signal);
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    if (this.running(port)) {
      child.kill("SIGKILL");
      await exited;
    }
  }

  /** Freezes the node on `port` (SIGSTOP): its connections stay open but nothing answers. */
  pause(port: number): void {
    this.#processes.get(port)?.kill("SIGSTOP");
  }

  /** Thaws a frozen node. */
  resume(port: number): void {
    this.#processes.get(port)?.kill("SIGCONT");
  }

  /** Stops every node and removes the folder. */
  async dispose(): Promise<void> {
    await Promise.all(this.ports.map((port) => this.stop(port, "SIGKILL")));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The Vitest global setup. Without REDIS_CLUSTER_URL: one line saying the cluster tests are skipped
 * and how to run them (in CI they fail instead; see describeWithRedisCluster). With it: after the
 * run, fails the run if a test left keys behind in the cluster, and deletes them.
 */
export default function setup(project: TestProject): (() => Promise<void>) | void {
  const urls = process.env.REDIS_CLUSTER_URL;
  if (!urls) {
    if (process.env.CI === "true") return;
    console.log(
      `Redis Cluster tests skipped: REDIS_CLUSTER_URL is not set. To run them: ${START_COMMAND} (it prints the REDIS_CLUSTER_URL to export), then npm run test:unit`,
    );
    return;
  }
  const run = crypto.randomBytes(4).toString("hex");
  project.provide("redisClusterRun", run);
  return async function nothingLeftBehind() {
    const left = await deleteClusterKeys(urls.split(","), `test:${run}:`);
    if (left.length > 0) {
      console.error(
        `FAIL: the tests left ${left.length} keys in the Redis Cluster at ${urls} (now deleted), such as ${left.slice(0, 3).join(", ")}. A test that writes to the cluster must delete its keys afterwards (deleteClusterKeys in tests/support/redis-cluster.ts).`,
      );
      process.exitCode = 1;
    }
  };
}

/** Whether something on 127.0.0.1:`port` answers PING with PONG. */
async function answers(port: number): Promise<boolean> {
  return (await ask(port, "PING")).startsWith("+PONG");
}

async function clusterOk(port: number): Promise<boolean> {
  return (await ask(port, "CLUSTER INFO")).includes("cluster_state:ok");
}

/** Sends one inline command and returns the first chunk of the answer ("" when nothing answers). */
function ask(port: number, command: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    const done = (answer: string) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(1000, () => done(""));
    socket.once("error", () => done(""));
    socket.once("connect", () => socket.write(`${command}\r\n`));
    socket.once("data", (data) => done(data.toString()));
  });
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// Run as a command: starts a cluster on the ports given, prints its REDIS_CLUSTER_URL, and stops it
// on SIGINT or SIGTERM.
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const ports = process.argv.slice(2).map(Number);
  const nodes = await RedisClusterNodes.start(ports.length > 0 ? ports : SHARED_CLUSTER_PORTS);
  console.log(`REDIS_CLUSTER_URL=${nodes.urls.join(",")}`);
  // Every signal is caught, not just the first: a second one (tsx relays them) must not end the
  // process before the nodes are stopped, or they would outlive it.
  let stopping: Promise<void> | undefined;
  const stop = () => void (stopping ??= nodes.dispose().then(() => process.exit(0)));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  setInterval(() => {}, 60_000);
}
