// `npm run preview:cloudflare`: builds the Pages project if needed and serves it from workerd on
// http://127.0.0.1:8788 (PORT changes it), with an in-memory KV namespace bound as SESSION_KV.
// Bindings come from the environment: SESSION_STORE=kv SESSION_SECRET=... npm run preview:cloudflare
import { startPagesLocal } from "./pages-local";

const BINDINGS = [
  "ENVIRONMENT",
  "SESSION_STORE",
  "SESSION_SECRET",
  "SESSION_COOKIE_NAME",
  "SESSION_MAX_AGE",
  "SESSION_ROLLING_INTERVAL",
  "SESSION_MAX_BYTES",
  "SESSION_COMMIT_ON_ERROR",
  "APP_ORIGIN",
  "TRUST_PROXY",
];

// Development unless told otherwise: no secret needed, and cookies without Secure work over http.
const bindings: Record<string, string> = { ENVIRONMENT: "development" };
for (const name of BINDINGS) {
  const value = process.env[name];
  if (value !== undefined && value !== "") bindings[name] = value;
}

const pages = await startPagesLocal({ bindings, kv: true, port: Number(process.env.PORT ?? 8788), log: true });
console.log(`Cloudflare Pages preview (workerd) at ${pages.url} (sessions: ${bindings.SESSION_STORE ?? "cookie"})`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, async () => {
    await pages.close();
    process.exit(0);
  });
}
