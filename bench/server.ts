/**
 * One bench server, run in its own process by bench/processes.ts: it reads its spec from
 * BENCH_SERVER, listens on an ephemeral loopback port and reports that port over IPC. An Express
 * app listens here; a Worker runs in workerd, a child of this process.
 */
import type { AddressInfo } from "node:net";

import type { ServerPlace, ServerSpec } from "./apps";

/** What the parent sends in BENCH_SERVER. */
export interface ServerLaunch {
  spec: ServerSpec;
  place: ServerPlace;
}

/** What this process tells its parent once it listens. */
export type ServerMessage = { port: number } | { error: string };

/** A listening server: its port, and how to close it. */
interface Serving {
  port: number;
  close(): Promise<void>;
}

async function serveExpress(launch: ServerLaunch): Promise<Serving> {
  const { installGlobals } = await import("@remix-run/node");
  installGlobals({ nativeFetch: true });
  const { importBuild } = await import("../server/build");
  const { createBenchApp } = await import("./apps");
  const { app, close } = await createBenchApp(launch.spec, launch.place, await importBuild());
  const server = app.listen(0, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => close().finally(resolve));
      }),
  };
}

async function serveWorker(launch: ServerLaunch): Promise<Serving> {
  if (launch.spec.kind !== "worker" && launch.spec.kind !== "bare-worker") throw new Error("not a Worker");
  const { startWorkerApp } = await import("./worker-app");
  const worker = await startWorkerApp(launch.spec, launch.place.dataDir);
  return { port: Number(new URL(worker.url).port), close: worker.close };
}

async function main() {
  const launch = JSON.parse(process.env.BENCH_SERVER ?? "null") as ServerLaunch | null;
  if (!launch || !process.send) throw new Error("bench/server.ts is started by bench/processes.ts, not by hand");

  const isWorker = launch.spec.kind === "worker" || launch.spec.kind === "bare-worker";
  // Until the server listens, only this timer may keep the process alive: a start that waits on
  // something unref'd (a store's worker thread) must not end the process in silence with code 0.
  const starting = setInterval(() => {}, 1000);
  const serving = await (isWorker ? serveWorker(launch) : serveExpress(launch)).finally(() => clearInterval(starting));

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    serving.close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  // The parent died or let go of us: never outlive it.
  process.on("disconnect", stop);

  send({ port: serving.port });
}

function send(message: ServerMessage) {
  process.send?.(message);
}

main().catch((error: unknown) => {
  send({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 200).unref();
});
