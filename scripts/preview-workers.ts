// `npm run preview:workers`: builds the Worker (`npm run build:workers`), then this serves it with
// `wrangler dev` (workerd, offline) on http://127.0.0.1:8787 (PORT changes it), the sessions in local
// SQLite-backed Durable Objects under .wrangler/state. Bindings come from the environment:
//   LAB_ROUTES=on SESSION_SECRET=... npm run preview:workers
import { startWorkersLocal } from "../harness/workers-local";

import { previewBindings } from "./cloudflare-bindings";

const bindings = previewBindings();
// A later `npm run build:workers` reloads the preview.
const worker = await startWorkersLocal({
  bindings,
  port: Number(process.env.PORT || 8787),
  persistTo: ".wrangler/state",
  log: true,
});
console.log(
  `Cloudflare Workers preview (workerd) at ${worker.url} (sessions: ${bindings.SESSION_STORE ?? "durable-object"})`,
);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, async () => {
    await worker.close();
    process.exit(0);
  });
}
