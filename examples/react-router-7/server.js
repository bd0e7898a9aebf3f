// The production server: `npm run build && npm start`. Express serves the client build and hands every
// other request to React Router, whose root middleware reads and commits the session.
//   PORT            port to listen on (3000)
//   HOST            interface to listen on (127.0.0.1; 0.0.0.0 in a container)
//   DATA_DIR        folder of the SQLite session database (data)
//   SESSION_SECRET  signs the session cookie; required in production
//   LAB_ROUTES      serve /lab/mark/:key, /lab/session and /lab/bounce (off in production unless set)
import fs from "node:fs";

import { createRequestHandler } from "@react-router/express";
import express from "express";

const BUILD = "./build/server/index.js";

if (process.env.NODE_ENV === "production" && !process.env.SESSION_SECRET?.trim()) {
  console.error(
    "Cannot start: SESSION_SECRET is not set. Production needs it to sign session cookies: set it to a long random string (`openssl rand -hex 32`).",
  );
  process.exit(1);
}
if (!fs.existsSync(new URL(BUILD, import.meta.url))) {
  console.error("Cannot start: there is no build. Run `npm run build` first.");
  process.exit(1);
}

const port = Number(process.env.PORT || 3000);
const host = process.env.HOST || "127.0.0.1";

const app = express();
app.disable("x-powered-by");
// Vite fingerprints these files, so they never change under the same name.
app.use("/assets", express.static("build/client/assets", { immutable: true, maxAge: "1y" }));
app.use(express.static("build/client", { maxAge: "1h" }));
// The app has no icon; browsers still ask for one (for JSON pages, say), which React Router would log as an error.
app.get("/favicon.ico", (_req, res) => res.status(204).end());
app.all("*", createRequestHandler({ build: await import(BUILD) }));

const server = app.listen(port, host, () => console.log(`React Router app ready at http://${host}:${port}`));
for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => server.close(() => process.exit(0)));
