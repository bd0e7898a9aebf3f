import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { WORKERS_BUILD, type CloudflareBuild } from "./cloudflare-build";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const WRANGLER = path.join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

export interface WorkersLocalOptions {
  /** Variables and secrets, as wrangler.jsonc's "vars" and `wrangler secret put` would give them. */
  bindings?: Record<string, string>;
  /** Loopback port; 0 (the default) picks a free one. */
  port?: number;
  /** Where the Durable Objects keep their SQLite files; default a fresh folder removed by `close`. */
  persistTo?: string;
  /** Echo wrangler's and the Worker's output (off: tests provoke errors on purpose; `output` has it either way). */
  log?: boolean;
  /** How long to wait for the Worker to answer, in milliseconds. */
  timeoutMs?: number;
  /** The Worker build to serve; default the project's own (`npm run build:workers`), reloaded on a rebuild. */
  build?: CloudflareBuild;
}

export interface WorkersLocal {
  /** Base URL, `http://127.0.0.1:<port>`. */
  url: string;
  /** Everything wrangler and the Worker printed so far. */
  readonly output: string;
  /** Stops wrangler and workerd, and removes the temporary state. */
  close(): Promise<void>;
}

/** The wrangler processes this process started and has not stopped. */
const running = new Set<ChildProcess>();
// A test file that ends without `close` (a failed setup) must not leave wrangler and its workerd behind:
// wrangler stops workerd on SIGTERM, but dies without doing so once its output pipes are gone.
process.once("exit", () => {
  for (const child of running) child.kill("SIGTERM");
});

/**
 * Serves a built Worker (by default build-workers/index.js and public-workers/, as wrangler.jsonc
 * describes them) with `wrangler dev`: workerd on 127.0.0.1, static assets before the Worker, the SessionObject
 * Durable Objects with SQLite storage on disk. Offline: no remote bindings, no telemetry.
 */
export async function startWorkersLocal(options: WorkersLocalOptions = {}): Promise<WorkersLocal> {
  const { serverFile, staticDir } = options.build ?? WORKERS_BUILD;
  if (!fs.existsSync(serverFile)) throw new Error(`No ${serverFile}: run \`npm run build:workers\`.`);
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), "workers-local-"));
  // Bindings go through a private file, not the command line, where other users could read the secret.
  const envFile = path.join(temp, "bindings.env");
  const lines = Object.entries(options.bindings ?? {}).map(([name, value]) => `${name}=${JSON.stringify(value)}`);
  fs.writeFileSync(envFile, `${lines.join("\n")}\n`, { mode: 0o600 });

  const port = options.port || (await freePort());
  const args = [
    WRANGLER,
    "dev",
    "--config",
    path.join(ROOT, "wrangler.jsonc"),
    // wrangler.jsonc's "main" and assets directory, or another build's.
    serverFile,
    "--assets",
    staticDir,
    "--local",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    // Several previews at once each need their own inspector port.
    "--inspector-port",
    String(await freePort()),
    "--persist-to",
    options.persistTo ?? path.join(temp, "state"),
    // Only this file: never the project's .env (the Express settings) or .dev.vars.
    "--env-file",
    envFile,
    "--show-interactive-dev-session=false",
    "--log-level",
    "info",
  ];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
    // In this process's group: whoever stops the group (Playwright's webServer, Ctrl-C) stops it too.
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  child.once("exit", () => running.delete(child));
  const output = { text: "" };
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.on("data", (chunk: Buffer) => {
      output.text += chunk;
      if (options.log) process.stdout.write(chunk);
    });
  }

  const close = async () => {
    await stop(child);
    fs.rmSync(temp, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  if (!(await ready(url, child, options.timeoutMs ?? 60_000))) {
    await close();
    throw new Error(`wrangler dev did not answer on ${url}. Output:\n${output.text}`);
  }
  return {
    url,
    get output() {
      return output.text;
    },
    close,
  };
}

/** Starts several Workers at once; when one fails to start, stops the others and throws its error. */
export async function startWorkersLocals(options: WorkersLocalOptions[]): Promise<WorkersLocal[]> {
  const started = await Promise.allSettled(options.map((each) => startWorkersLocal(each)));
  const failed = started.find((result) => result.status === "rejected");
  if (!failed) return started.map((result) => (result as PromiseFulfilledResult<WorkersLocal>).value);
  await Promise.all(started.map((result) => (result.status === "fulfilled" ? result.value.close() : undefined)));
  throw failed.reason;
}

/** Polls until the Worker answers (any status), the process exits, or `timeoutMs` passes. */
async function ready(url: string, child: ChildProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      await fetch(`${url}/favicon.svg`, { signal: AbortSignal.timeout(2_000) });
      return true;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  return false;
}

/** SIGTERM to wrangler, which stops its workerd; SIGKILL after five seconds. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

/** A loopback TCP port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
