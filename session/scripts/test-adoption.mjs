#!/usr/bin/env node
// The packaged-adoption test: an existing Remix 2 Express app adopts these sessions from the packed
// tarball with exactly the lines session/README.md shows, keeps 50 concurrent writes to one session and
// refuses a cross-origin write.
//
// It packs the package (`npm pack`, whose prepare builds dist/), writes a small Remix 2.17.5 app built
// with the classic compiler into a folder outside the repository, installs it (one `npm install`, from
// the npm registry or its cache), replaces the two marked lines of its server.js with the README's
// blocks, builds it, starts it on 127.0.0.1 and writes over HTTP. Slow (a fresh install that compiles
// better-sqlite3), so .ci/run runs it rather than `npm test`:
//
//   npm run test:adoption            KEEP=1 keeps the scratch folder and prints where it is
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const PORT = Number(process.env.ADOPTION_PORT ?? 4690);
const WRITES = 50;
const REMIX = "2.17.5";

/** The fenced code block that follows `<!-- adoption:NAME -->` in the package README. */
function readmeBlock(readme, name) {
  const match = new RegExp(`<!-- adoption:${name} -->\\s*\`\`\`\\w*\\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (!match) throw new Error(`session/README.md has no code block marked <!-- adoption:${name} -->`);
  return match[1].trimEnd();
}

/** `text` with the one line `line` replaced by `replacement`; fails when the line is not there once. */
function replaceLine(text, line, replacement) {
  const lines = text.split("\n");
  const at = lines.indexOf(line);
  if (at === -1 || lines.lastIndexOf(line) !== at) throw new Error(`expected exactly one line: ${line}`);
  lines.splice(at, 1, replacement);
  return lines.join("\n");
}

function run(command, args, cwd, env = {}) {
  console.log(`$ ${command} ${args.join(" ")}   (in ${cwd})`);
  return execFileSync(command, args, { cwd, stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ...env } })
    .toString()
    .trim();
}

/** The scratch app before adoption: what a Remix 2 Express app already has. */
const APP_FILES = {
  "package.json": (tarball) =>
    JSON.stringify(
      {
        name: "adoption-scratch-app",
        private: true,
        type: "module",
        scripts: { build: "remix build", start: "node server.js" },
        dependencies: {
          "@remix-run/express": REMIX,
          "@remix-run/node": REMIX,
          "@remix-run/react": REMIX,
          "auto-commit-session": `file:./${tarball}`,
          "better-sqlite3": "^12.4.1",
          express: "^4.21.2",
          isbot: "^5.1.17",
          react: "^18.3.1",
          "react-dom": "^18.3.1",
        },
        devDependencies: { "@remix-run/dev": REMIX, vite: "~6.4.1" },
        allowScripts: { "better-sqlite3": true, esbuild: true },
      },
      null,
      2,
    ),
  "remix.config.js": () => `export default { serverModuleFormat: "esm", future: { v3_singleFetch: false } };\n`,
  "app/root.jsx": () => `import { Links, Meta, Outlet, Scripts } from "@remix-run/react";

export default function App() {
  return (
    <html lang="en">
      <head>
        <Meta />
        <Links />
      </head>
      <body>
        <Outlet />
        <Scripts />
      </body>
    </html>
  );
}
`,
  // One key per request; the answer says what this request's session held after its write. The
  // action lets the cross-origin POST below reach a route that would write if it ran.
  "app/routes/write.$key.jsx": () => `export async function loader({ params, context }) {
  context.session.set(\`mark:\${params.key}\`, new Date().toISOString());
  return Response.json({ id: context.session.id || null });
}

export const action = loader;
`,
  "app/routes/keys.jsx": () => `export async function loader({ context }) {
  return Response.json(Object.keys(context.session.data).filter((key) => key.startsWith("mark:")));
}
`,
  // The classic Express server of Remix's own template, trimmed.
  "server.js": () => `import { createRequestHandler } from "@remix-run/express";
import { installGlobals } from "@remix-run/node";
import express from "express";

import * as build from "./build/index.js";

installGlobals({ nativeFetch: true });

const app = express();
app.use(express.static("public"));
app.all("*", createRequestHandler({ build }));

const port = Number(process.env.PORT);
app.listen(port, "127.0.0.1", () => console.log(\`listening on \${port}\`));
`,
};

async function waitForServer(url, child) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the scratch app exited with code ${child.exitCode}`);
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`the scratch app did not answer at ${url} within 30 s`);
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "auto-commit-session-adoption-"));
let server;
try {
  const packed = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", scratch], packageDir));
  const tarball = packed[0].filename;
  console.log(`packed ${tarball} (${packed[0].entryCount} files)`);

  for (const [file, content] of Object.entries(APP_FILES)) {
    fs.mkdirSync(path.dirname(path.join(scratch, file)), { recursive: true });
    fs.writeFileSync(path.join(scratch, file), content(tarball));
  }
  run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], scratch);

  // Adoption: exactly the README's blocks, in place of the two lines it names.
  const readme = fs.readFileSync(path.join(packageDir, "README.md"), "utf8");
  const serverFile = path.join(scratch, "server.js");
  let serverSource = fs.readFileSync(serverFile, "utf8");
  serverSource = replaceLine(
    serverSource,
    `import { createRequestHandler } from "@remix-run/express";`,
    readmeBlock(readme, "imports"),
  );
  serverSource = replaceLine(
    serverSource,
    `app.all("*", createRequestHandler({ build }));`,
    readmeBlock(readme, "handler"),
  );
  fs.writeFileSync(serverFile, serverSource);

  run("npx", ["remix", "build"], scratch);
  server = spawn(process.execPath, ["server.js"], {
    cwd: scratch,
    env: { ...process.env, PORT: String(PORT), NODE_ENV: "production", SESSION_SECRET: "adoption-test-secret" },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const base = `http://127.0.0.1:${PORT}`;
  await waitForServer(`${base}/keys`, server);

  // The first write creates the session; the 50 that follow overlap and all write to it.
  const first = await fetch(`${base}/write/first`);
  const setCookie = first.headers.get("set-cookie");
  if (first.status !== 200 || !setCookie) throw new Error(`the first write answered ${first.status} without a cookie`);
  const cookie = setCookie.split(";")[0];
  const answers = await Promise.all(
    Array.from({ length: WRITES }, (_, i) => fetch(`${base}/write/${i}`, { headers: { Cookie: cookie } })),
  );
  const failed = answers.filter((response) => response.status !== 200).map((response) => response.status);
  if (failed.length > 0) throw new Error(`${failed.length} of ${WRITES} writes failed: ${failed.join(", ")}`);

  const kept = await (await fetch(`${base}/keys`, { headers: { Cookie: cookie } })).json();
  const missing = Array.from({ length: WRITES }, (_, i) => `mark:${i}`).filter((key) => !kept.includes(key));
  if (missing.length > 0) throw new Error(`${missing.length} of ${WRITES} concurrent writes were lost: ${missing}`);

  // A forged write from another site, with the session cookie riding along. A data request, which
  // Remix's own document-post Origin check does not cover, so only the package's guard can refuse it.
  const forged = await fetch(`${base}/write/forged?_data=${encodeURIComponent("routes/write.$key")}`, {
    method: "POST",
    headers: { Cookie: cookie, Origin: "http://evil.example", "Content-Type": "application/x-www-form-urlencoded" },
    body: "",
  });
  if (forged.status !== 403) throw new Error(`a cross-origin POST answered ${forged.status}, not 403`);
  if (forged.headers.get("set-cookie")) throw new Error("a refused cross-origin POST set a cookie");
  const after = await (await fetch(`${base}/keys`, { headers: { Cookie: cookie } })).json();
  if (after.includes("mark:forged") || after.length !== kept.length) {
    throw new Error(`a refused cross-origin POST changed the session: ${after.length} keys, ${kept.length} before`);
  }
  console.log(
    `ok: the packed package, wired in with the README's lines, kept ${WRITES} of ${WRITES} concurrent writes` +
      " and refused a cross-origin write with a 403",
  );
} finally {
  server?.kill();
  if (process.env.KEEP) console.log(`scratch app kept in ${scratch}`);
  else fs.rmSync(scratch, { recursive: true, force: true });
}
