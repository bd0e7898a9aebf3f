/**
 * One bench server, run in its own process by bench/servers.ts: it reads its spec from
 * BENCH_SERVER, listens on an ephemeral loopback port and reports that port over IPC.
 */
import type { AddressInfo } from "node:net";

import { installGlobals } from "@remix-run/node";

import { importBuild } from "../server/build";

import { createBenchApp, type ServerPlace, type ServerSpec } from "./apps";

installGlobals({ nativeFetch: true });

/** What the parent sends in BENCH_SERVER. */
export interface ServerLaunch {
  spec: ServerSpec;
  place: ServerPlace;
}

/** What this process tells its parent once it listens. */
export type ServerMessage = { port: number } | { error: string };

async function main() {
  const launch = JSON.parse(process.env.BENCH_SERVER ?? "null") as ServerLaunch | null;
  if (!launch || !process.send) throw new Error("bench/server.ts is started by bench/servers.ts, not by hand");

  const { app, close } = await createBenchApp(launch.spec, launch.place, await importBuild());
  const server = app.listen(0, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.closeAllConnections();
    server.close(() => {
      close().finally(() => process.exit(0));
    });
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  // The parent died or let go of us: never outlive it.
  process.on("disconnect", stop);

  send({ port: (server.address() as AddressInfo).port });
}

function send(message: ServerMessage) {
  process.send?.(message);
}

main().catch((error: unknown) => {
  send({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 200).unref();
});
