import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/**
 * `server.ts` in production mode as a child process with a data folder chosen by the caller, so a
 * test can kill it (SIGKILL, as a crash) and start it again on the same data. It runs as
 * `node --import tsx server.ts`: the `tsx` command would put a wrapper process in front, which a
 * SIGKILL would hit instead of the server and whose memory is not the server's.
 */
export class ProductionServer {
  /** Where it answers, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  #child: ChildProcess;
  #output: { text: string };
  #exited: Promise<void>;

  private constructor(url: string, child: ChildProcess, output: { text: string }, exited: Promise<void>) {
    this.url = url;
    this.#child = child;
    this.#output = output;
    this.#exited = exited;
  }

  /** Starts the server on a free loopback port and waits (at most `timeoutMs`) until it is ready. */
  static async start(options: {
    dataDir: string;
    env?: Record<string, string>;
    timeoutMs?: number;
  }): Promise<ProductionServer> {
    const { dataDir, env = {}, timeoutMs = 60_000 } = options;
    const child = spawn(process.execPath, ["--import", "tsx", "server.ts"], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: "production",
        SESSION_STORE: "sqlite",
        HOST: "127.0.0.1",
        PORT: "0",
        DATA_DIR: dataDir,
        // The tests drive the lab's routes, which production leaves out unless told.
        LAB_ROUTES: "on",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const output = { text: "" };
    child.stdout!.on("data", (chunk) => (output.text = (output.text + chunk).slice(-20_000)));
    child.stderr!.on("data", (chunk) => (output.text = (output.text + chunk).slice(-20_000)));
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

    const url = await new Promise<string | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), timeoutMs);
      child.stdout!.on("data", () => {
        const match = /ready at (http:\/\/[\d.]+:\d+)/.exec(output.text);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      void exited.then(() => {
        clearTimeout(timer);
        resolve(null);
      });
    });
    if (!url) {
      child.kill("SIGKILL");
      throw new Error(`server.ts did not become ready within ${timeoutMs} ms. Output:\n${output.text}`);
    }
    return new ProductionServer(url, child, output, exited);
  }

  /** The server's process id. */
  get pid(): number {
    return this.#child.pid!;
  }

  /** What it printed lately (stdout and stderr). */
  get output(): string {
    return this.#output.text;
  }

  /** Resident memory of the server process in kilobytes (VmRSS in /proc/<pid>/status). */
  rssKb(): number {
    const status = fs.readFileSync(`/proc/${this.pid}/status`, "utf8");
    return Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
  }

  /** Sends `signal` and waits until the process is gone (SIGKILL after `timeoutMs`). */
  async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 10_000): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#child.kill(signal);
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), timeoutMs);
    await this.#exited;
    clearTimeout(timer);
  }
}

/** The SQLite file a production server keeps its sessions in. */
export function sessionsFile(dataDir: string): string {
  return path.join(dataDir, "sessions.sqlite");
}
