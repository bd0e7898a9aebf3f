import { fork, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import url from "node:url";

import type { ServerPlace, ServerSpec } from "./apps";
import { processTreeCpuMicros } from "./cpu";
import type { ServerLaunch, ServerMessage } from "./server";

const SERVER_ENTRY = url.fileURLToPath(new URL("./server.ts", import.meta.url));
const START_TIMEOUT_MS = 180_000;

/** Something the bench started and must stop however it ends. */
interface Stoppable {
  stop(): Promise<void>;
}

/** Every process the bench started, stopped together at the end, on error and on SIGINT. */
export class ProcessGroup {
  #members = new Set<Stoppable>();

  /** Remembers `member` so `stopAll` stops it. */
  add<T extends Stoppable>(member: T): T {
    this.#members.add(member);
    return member;
  }

  /** Stops every member, newest first; never throws. */
  async stopAll(): Promise<void> {
    const members = [...this.#members].reverse();
    this.#members.clear();
    await Promise.all(members.map((member) => member.stop().catch(() => {})));
  }
}

/** One bench server (bench/server.ts) in its own Node process, so it shares no event loop. */
export class ServerProcess implements Stoppable {
  #child: ChildProcess;
  #url: string;
  /** What the server runs. */
  readonly spec: ServerSpec;

  private constructor(child: ChildProcess, port: number, spec: ServerSpec) {
    this.#child = child;
    this.#url = `http://127.0.0.1:${port}`;
    this.spec = spec;
  }

  /** Starts a server and resolves once it listens; rejects with its error output if it cannot. */
  static async start(spec: ServerSpec, place: ServerPlace): Promise<ServerProcess> {
    const launch: ServerLaunch = { spec, place };
    const child = fork(SERVER_ENTRY, [], {
      execArgv: ["--import", "tsx"],
      env: { ...process.env, NODE_ENV: "production", BENCH_SERVER: JSON.stringify(launch) },
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });

    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error("did not start within 180 s")), START_TIMEOUT_MS);
      const fail = (error: Error) => {
        clearTimeout(timer);
        child.kill("SIGKILL");
        reject(new Error(`Bench server ${describeSpec(spec)} failed: ${error.message}\n${stderr}`.trim()));
      };
      child.once("message", (message: ServerMessage) => {
        if ("port" in message) {
          clearTimeout(timer);
          resolve(message.port);
        } else fail(new Error(message.error));
      });
      child.once("exit", (code, signal) => fail(new Error(`exited early (${signal ?? `code ${code}`})`)));
    });
    child.removeAllListeners("exit");
    return new ServerProcess(child, port, spec);
  }

  /** The server's base URL on loopback. */
  get url(): string {
    return this.#url;
  }

  /** CPU time, in µs, the server has used so far (with workerd, for a Worker); null without /proc. */
  cpuMicros(): number | null {
    return this.#child.pid === undefined ? null : processTreeCpuMicros(this.#child.pid);
  }

  /** Asks the server to close and waits for its process to end (killing it after 5 s). */
  stop(): Promise<void> {
    return stopChild(this.#child, "SIGTERM");
  }
}

/** A private redis-server on an ephemeral loopback port with a throwaway folder and no persistence. */
export class RedisProcess implements Stoppable {
  #child: ChildProcess;
  #dir: string;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;

  private constructor(child: ChildProcess, dir: string, port: number) {
    this.#child = child;
    this.#dir = dir;
    this.url = `redis://127.0.0.1:${port}`;
  }

  /** Starts redis-server from PATH; resolves null when it is not installed. */
  static async start(dir: string): Promise<RedisProcess | null> {
    if (!commandExists("redis-server")) return null;
    fs.mkdirSync(dir, { recursive: true });
    const port = await freePort();
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir];
    // A shell watches the bench's pid and stops redis-server if the bench dies without cleaning up (SIGKILL).
    const watchdog = `redis-server "$@" & redis=$!
trap 'kill $redis 2>/dev/null; wait $redis; exit 0' TERM INT
while kill -0 ${process.pid} 2>/dev/null && kill -0 $redis 2>/dev/null; do sleep 1 & wait $!; done
kill $redis 2>/dev/null; wait $redis`;
    const child = spawn("sh", ["-c", watchdog, "redis-server", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error("redis-server did not start within 10 s")), 10_000);
      const done = (error?: Error) => {
        clearTimeout(timer);
        child.stdout?.off("data", ready);
        if (error) {
          child.kill("SIGKILL");
          reject(new Error(`${error.message}\n${output}`));
        } else resolve();
      };
      const ready = () => {
        if (/ready to accept connections/i.test(output)) done();
      };
      child.stdout?.on("data", ready);
      child.once("exit", (code) => done(new Error(`redis-server exited early (code ${code})`)));
    });
    child.removeAllListeners("exit");
    return new RedisProcess(child, dir, port);
  }

  /** Stops redis-server and deletes its folder. */
  async stop(): Promise<void> {
    await stopChild(this.#child, "SIGTERM");
    fs.rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** A readable name for a server spec, as the tables print it. */
export function describeSpec(spec: ServerSpec): string {
  return "store" in spec ? `${spec.kind}/${spec.store}` : spec.kind;
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/** A port nobody listens on right now; the OS hands out a fresh one each time. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function commandExists(command: string): boolean {
  return (process.env.PATH ?? "").split(path.delimiter).some((dir) => dir && fs.existsSync(path.join(dir, command)));
}
