// `npm run preview:cloudflare`: builds the Pages project (`npm run build:cloudflare`), then this serves
// it from workerd on http://127.0.0.1:8788 (PORT changes it), with an in-memory KV namespace bound as
// SESSION_KV. Bindings come from the environment: SESSION_STORE=kv SESSION_SECRET=... npm run preview:cloudflare
import { startPagesLocal } from "../harness/pages-local";

import { previewBindings } from "./cloudflare-bindings";

const bindings = previewBindings();
const pages = await startPagesLocal({ bindings, kv: true, port: Number(process.env.PORT ?? 8788), log: true });
console.log(`Cloudflare Pages preview (workerd) at ${pages.url} (sessions: ${bindings.SESSION_STORE ?? "cookie"})`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, async () => {
    await pages.close();
    process.exit(0);
  });
}
