import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";

const BETTER_SQLITE3 = createRequire(import.meta.url).resolve("better-sqlite3");

// The lock holder runs in another process, as another app instance or a backup job would, on a clock
// and an event loop of its own.
const HOLDER = `
const Database = require(process.argv[1]);
const db = new Database(process.argv[2]);
db.exec("BEGIN IMMEDIATE");
process.stdout.write("locked\\n");
const release = () => {
  process.stdout.write("released " + Date.now() + "\\n");
  db.exec("COMMIT");
  db.close();
  process.exit(0);
};
const holdMs = Number(process.argv[3]);
if (holdMs > 0) setTimeout(release, holdMs);
process.stdin.on("data", release);
`;

/** Another process holding the database's write lock, for `holdMs` (0: until `release()`). */
export class WriteLockHolder {
  #child: ChildProcess;
  #exited: Promise<void>;
  #output = "";

  private constructor(child: ChildProcess) {
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once("exit", () => resolve()));
    child.stdout!.on("data", (chunk) => (this.#output += chunk));
  }

  /** Starts the holder and waits until it has the lock. */
  static async start(filename: string, holdMs = 0): Promise<WriteLockHolder> {
    const child = spawn(process.execPath, ["-e", HOLDER, BETTER_SQLITE3, filename, String(holdMs)], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.once("data", () => resolve());
      child.once("exit", (code) => reject(new Error(`lock holder exited with ${code}`)));
    });
    return new WriteLockHolder(child);
  }

  /** Commits and waits until the holder is gone. */
  async release(): Promise<void> {
    if (this.#child.exitCode === null) this.#child.stdin!.write("release\n");
    await this.#exited;
  }

  /** Waits until a timed holder let go by itself, and returns when (Date.now() just before its COMMIT). */
  async releasedAt(): Promise<number> {
    await this.#exited;
    return Number(/released (\d+)/.exec(this.#output)?.[1]);
  }
}
