import { execFileSync } from "node:child_process";
import fs from "node:fs";

let ticksPerSecond: number | undefined;

/** The kernel's clock ticks per second (`getconf CLK_TCK`), the unit of /proc/<pid>/stat's CPU times. */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** A process's parent and CPU time (user + system, in ticks) from the text of /proc/<pid>/stat. */
export function parseStat(stat: string): { ppid: number; ticks: number } {
  // The command name is in parentheses and may itself hold spaces or parentheses: fields start after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
  return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
}

/**
 * CPU time, in µs, used so far by process `pid` and every process below it (a Worker's workerd runs
 * as a child of the Node process that started it). Read from /proc, so it counts any program and
 * needs no help from the process measured; null where /proc is missing.
 */
export function processTreeCpuMicros(pid: number): number | null {
  if (!fs.existsSync(`/proc/${pid}/stat`)) return null;
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      stats.set(Number(entry), parseStat(fs.readFileSync(`/proc/${entry}/stat`, "utf8")));
    } catch {
      // The process ended between the listing and the read.
    }
  }
  let ticks = 0;
  const pending = [pid];
  while (pending.length > 0) {
    const current = pending.pop()!;
    const stat = stats.get(current);
    if (!stat) continue;
    ticks += stat.ticks;
    for (const [child, { ppid }] of stats) if (ppid === current) pending.push(child);
  }
  return (ticks / clockTicks()) * 1e6;
}
