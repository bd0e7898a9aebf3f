import { spawn, type ChildProcess } from "node:child_process";

// Reads the session over HTTP from another process, so each answer's time is measured on a clock the
// server's event loop cannot hold up. One untimed read first (a process's first fetch is slow), then
// "ready"; for each line on stdin, `count` timed reads `gapMs` apart, printed as one JSON line.
const READER = `
const [url, cookie, count, gapMs] = process.argv.slice(1);
const readOnce = async () => {
  const sentAt = Date.now();
  const response = await fetch(url + "/lab/session", { headers: { cookie } });
  const keys = Object.keys(await response.json().catch(() => ({})));
  return { sentAt, doneAt: Date.now(), status: response.status, keys };
};
readOnce().then(() => {
  process.stdout.write("ready\\n");
  require("node:readline").createInterface({ input: process.stdin }).on("line", async () => {
    const reads = [];
    for (let i = 0; i < Number(count); i++) {
      reads.push(await readOnce());
      await new Promise((resolve) => setTimeout(resolve, Number(gapMs)));
    }
    process.stdout.write(JSON.stringify(reads) + "\\n");
  });
  process.stdin.once("end", () => process.exit(0));
});
`;

/** One read of `/lab/session`: when it was sent and answered (ms since the epoch), its status and keys. */
export interface TimedRead {
  sentAt: number;
  doneAt: number;
  status: number;
  keys: string[];
}

/** Another process that reads the session over HTTP, timing each answer. */
export class SessionReader {
  #child: ChildProcess;
  #lines: string[] = [];
  #waiting: ((line: string) => void) | undefined;

  private constructor(child: ChildProcess) {
    this.#child = child;
    let buffer = "";
    child.stdout!.on("data", (chunk) => {
      buffer += chunk;
      for (let end = buffer.indexOf("\n"); end >= 0; end = buffer.indexOf("\n")) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        if (this.#waiting) this.#waiting(line);
        else this.#lines.push(line);
      }
    });
  }

  /** Starts the reader with `cookie` and waits until its first, untimed read is done. */
  static async start(url: string, cookie: string, count: number, gapMs: number): Promise<SessionReader> {
    const child = spawn(process.execPath, ["-e", READER, url, cookie, String(count), String(gapMs)], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    const reader = new SessionReader(child);
    const exited = new Promise<never>((_, reject) =>
      child.once("exit", (code) => reject(new Error(`reader exited with ${code}`))),
    );
    exited.catch(() => {});
    await Promise.race([reader.#nextLine(), exited]);
    return reader;
  }

  /** Makes one round of timed reads and returns them. */
  async read(): Promise<TimedRead[]> {
    this.#child.stdin!.write("go\n");
    return JSON.parse(await this.#nextLine()) as TimedRead[];
  }

  /** Lets the reader exit. */
  stop(): void {
    this.#child.stdin!.end();
  }

  #nextLine(): Promise<string> {
    const line = this.#lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve) => {
      this.#waiting = (next) => {
        this.#waiting = undefined;
        resolve(next);
      };
    });
  }
}

/** The longest time one of `reads` took, in ms. */
export const slowest = (reads: TimedRead[]) => Math.max(...reads.map((read) => read.doneAt - read.sentAt));
