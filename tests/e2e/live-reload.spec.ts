import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

import { expect, test } from "@playwright/test";

import { copyApp, removeAppCopy } from "../support/app-copy";

/**
 * `npm run dev` reloads the open page after an edit. The dev server runs in a temporary copy of the
 * app, so its development build never replaces the production build in build/ that the rest of this
 * suite serves, and the edit can never be left behind in the working tree.
 */

const REPOSITORY = path.resolve(".");
const PROBE_ROUTE = "app/routes/live-reload-probe.tsx";

function probeRoute(text: string): string {
  return `export default function LiveReloadProbe() {\n  return <p data-testid="probe">${text}</p>;\n}\n`;
}

async function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** Two free loopback ports from E2E_DEV_PORT (default 3650) upwards: the app's and `remix dev`'s. */
async function freePortPair(): Promise<[number, number]> {
  const first = Number(process.env.E2E_DEV_PORT ?? 3650);
  for (let port = first; port < first + 50; port += 2) {
    if ((await isFree(port)) && (await isFree(port + 1))) return [port, port + 1];
  }
  throw new Error(`No two free ports between ${first} and ${first + 50} for npm run dev`);
}

test.describe("npm run dev", () => {
  // A first development build and server start take a while on a slow machine.
  test.setTimeout(180_000);

  let copy: string;
  let dev: ChildProcess | undefined;
  let output = "";

  test.beforeAll(() => {
    copy = copyApp();
  });

  test.afterAll(async () => {
    if (dev?.pid) {
      const pid = dev.pid;
      const exited =
        dev.exitCode === null && dev.signalCode === null ? new Promise((resolve) => dev!.once("exit", resolve)) : null;
      // The whole group it leads: npm, remix dev and the app server remix dev started.
      const signal = (name: NodeJS.Signals) => {
        try {
          process.kill(-pid, name);
        } catch {
          // The group is gone already.
        }
      };
      signal("SIGTERM");
      if (exited) await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      signal("SIGKILL");
    }
    removeAppCopy(copy);
  });

  test("reloads the open page after a route's text is edited", async ({ page }) => {
    const before = `before ${crypto.randomUUID()}`;
    const after = `after ${crypto.randomUUID()}`;
    fs.writeFileSync(path.join(copy, PROBE_ROUTE), probeRoute(before));

    const [appPort, devPort] = await freePortPair();
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of Object.keys(env))
      if (/^(SESSION_|REDIS_|DATA_DIR$|APP_ORIGIN$|TRUST_PROXY$)/.test(name)) delete env[name];
    dev = spawn("npm", ["run", "dev", "--", "--port", String(devPort)], {
      cwd: copy,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...env,
        NODE_ENV: "development",
        PORT: String(appPort),
        HOST: "127.0.0.1",
        SESSION_STORE: "memory",
        SESSION_SECRET: "live-reload-secret-that-is-at-least-32-characters",
        REMIX_DEV_ORIGIN: `http://127.0.0.1:${devPort}`,
        NODE_OPTIONS: `${env.NODE_OPTIONS ?? ""} --require ${path.join(REPOSITORY, "tests/support/loopback-only.cjs")}`,
        NO_COLOR: "1",
      },
    });
    dev.stdout!.on("data", (chunk) => (output += chunk));
    dev.stderr!.on("data", (chunk) => (output += chunk));

    const appUrl = `http://127.0.0.1:${appPort}`;
    await expect
      .poll(() => (dev!.exitCode === null ? output : `exited: ${output}`), { timeout: 120_000 })
      .toContain(`ready at ${appUrl}`);

    // The page must be listening to `remix dev` before the edit, or the reload message is missed.
    const socket = page
      .waitForEvent("websocket", { predicate: (ws) => ws.url().includes(`:${devPort}/socket`), timeout: 20_000 })
      .catch(() => {
        throw new Error("The page opened no socket to `remix dev`: app/root.tsx must render <LiveReload />");
      });
    await page.goto(`${appUrl}/live-reload-probe`);
    await expect(page.getByTestId("probe")).toHaveText(before);
    await socket;

    fs.writeFileSync(path.join(copy, PROBE_ROUTE), probeRoute(after));
    await expect(page.getByTestId("probe"), `npm run dev output:\n${output}`).toHaveText(after, { timeout: 60_000 });
  });
});
