import { fork } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import url from "node:url";

import { flameTree, hotFunctions, renderFlameGraphs, type CpuProfile, type HotFunction } from "./flame-graph";
import type { ProfileLaunch, ProfileWindow } from "./profile-target";

const TARGET = url.fileURLToPath(new URL("./profile-target.ts", import.meta.url));
/** µs between samples: ten times V8's default, so a 50 µs operation still gets samples of its own. */
const SAMPLING_MICROS = 100;

/** What the profile showed, operation by operation. */
export interface ProfileResult {
  /** How the profile was taken. */
  command: string;
  iterations: number;
  /** The flame graph, relative to the results folder. */
  flameGraph: string;
  windows: Array<{
    name: string;
    samples: number;
    /** The functions with the most samples of their own. */
    hot: HotFunction[];
  }>;
}

export interface ProfileSettings {
  iterations: number;
  sessionKeys: number;
  /** A scratch folder: the SQLite file and the .cpuprofile. */
  dir: string;
  /** Where flame-graph.svg goes. */
  outDir: string;
  log: (line: string) => void;
}

/**
 * Runs bench/profile-target.ts under `node --cpu-prof`, then draws one flame graph per operation from
 * the samples inside that operation's stretch of time into `outDir`/flame-graph.svg.
 */
export async function profileHotPath(settings: ProfileSettings): Promise<ProfileResult> {
  const profileDir = path.join(settings.dir, "cpuprofile");
  fs.mkdirSync(profileDir, { recursive: true });
  const launch: ProfileLaunch = {
    iterations: settings.iterations,
    sessionKeys: settings.sessionKeys,
    dataDir: path.join(settings.dir, "data"),
  };
  const execArgv = [
    "--cpu-prof",
    "--cpu-prof-dir",
    profileDir,
    "--cpu-prof-interval",
    String(SAMPLING_MICROS),
    "--import",
    "tsx",
  ];
  const child = fork(TARGET, [], {
    execArgv,
    env: { ...process.env, NODE_ENV: "production", BENCH_PROFILE: JSON.stringify(launch) },
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  let windows: ProfileWindow[] = [];
  child.on("message", (message: ProfileWindow[]) => (windows = message));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`the profiled run exited with code ${code}`);
  // CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile: thread 0 is the main thread (tsx's loader runs in another).
  const profiles = fs.readdirSync(profileDir).filter((name) => name.endsWith(".cpuprofile"));
  const file = profiles.find((name) => /\.\d+\.0\.\d+\.cpuprofile$/.test(name)) ?? profiles[0];
  if (!file || windows.length === 0) throw new Error("the profiled run left no .cpuprofile or no timings");
  const profile = JSON.parse(fs.readFileSync(path.join(profileDir, file), "utf8")) as CpuProfile;

  const panels = windows.map((window) => ({
    title: window.name,
    tree: flameTree(profile, window.startMicros, window.endMicros),
  }));
  const shownArgs = execArgv.map((arg) => (arg === profileDir ? "<scratch folder>" : arg));
  const command = `node ${shownArgs.join(" ")} bench/profile-target.ts (${settings.iterations} calls per operation)`;
  const svg = renderFlameGraphs(
    panels,
    `${command}. Width: share of the samples in that operation. Colours: this stack's session code (indigo), Remix (orange), Node (grey), other packages (yellow).`,
  );
  fs.mkdirSync(settings.outDir, { recursive: true });
  fs.writeFileSync(path.join(settings.outDir, "flame-graph.svg"), svg);
  for (const panel of panels) settings.log(`profile ${panel.title}: ${panel.tree.total} samples`);
  return {
    command,
    iterations: settings.iterations,
    flameGraph: "flame-graph.svg",
    windows: panels.map(({ title, tree }) => ({ name: title, samples: tree.total, hot: hotFunctions(tree, 12) })),
  };
}
