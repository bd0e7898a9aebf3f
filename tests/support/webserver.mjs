// Playwright's webServer command wrapper: `node tests/support/webserver.mjs <log file> <command...>`.
// Runs the command and passes its output through, except the warnings the browser suites provoke on
// purpose (a sign-out racing held requests logs one per refused commit): those go to the log file,
// so a passing run prints no warning while anything unexpected, a failed start included, still shows.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";

const EXPECTED = [/^\[session\] [A-Z]+ \S+: the session was signed in or out by another request while this one ran/];

const [logFile, ...command] = process.argv.slice(2);
fs.mkdirSync(path.dirname(logFile), { recursive: true });
const log = fs.createWriteStream(logFile);

const child = spawn(command.join(" "), { shell: true, stdio: ["ignore", "inherit", "pipe"] });
readline.createInterface({ input: child.stderr }).on("line", (line) => {
  (EXPECTED.some((pattern) => pattern.test(line)) ? log : process.stderr).write(`${line}\n`);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
