// The bench's baseline Worker: Remix's plain Workers handler (`createRequestHandler` from
// `@remix-run/cloudflare`) with no session, built by `node scripts/build-cloudflare.mjs --target=workers
// --server=bench/bare-worker.ts --out=...` beside the same static assets as server.worker.ts.
import { createRequestHandler, type AppLoadContext } from "@remix-run/cloudflare";
import * as build from "@remix-run/dev/server-build";

import { labContext } from "../server/lab-context";
import { DEFAULT_MAX_SESSION_BYTES } from "../session/core/size-limit";

const handleRequest = createRequestHandler(build);
// The lab's routes answer 404 without `context.lab`; the Worker with sessions hands over the same value.
const lab = labContext("durable-object", DEFAULT_MAX_SESSION_BYTES);

export default {
  async fetch(request: Request, env: unknown, ctx: unknown): Promise<Response> {
    const cf = (request as Request & { cf?: unknown }).cf;
    return handleRequest(request, { cloudflare: { env, ctx, cf }, lab } as unknown as AppLoadContext);
  },
};
