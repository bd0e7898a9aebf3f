// The Cloudflare Worker: `npm run build:workers` bundles this file with the app into
// build-workers/index.js, and wrangler.jsonc serves public-workers/ as static assets before it runs
// (static files never reach it). Wiring only; server.ts is its Express counterpart.
import * as build from "@remix-run/dev/server-build";

import type { SessionData, SessionFlashData } from "./app/session";
import { configErrorResponse, type CloudflareEnv } from "./server/cloudflare-config";
import { cloudflareSessionsFor } from "./server/cloudflare-sessions";
import { createSessionRequestHandler } from "auto-commit-session/cloudflare";

// The Durable Object class behind the default session store; wrangler.jsonc binds it as SESSION_DO.
export { SessionObject } from "auto-commit-session/stores/session-object";

/** The part of a Worker's `ExecutionContext` the app may use through `context.cloudflare.ctx`. */
interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
}

const handleRequest = createSessionRequestHandler<SessionData, SessionFlashData>(build);

export default {
  async fetch(request: Request, env: CloudflareEnv, ctx: ExecutionContext): Promise<Response> {
    // A wrong binding answers every request with a page naming it.
    const sessions = cloudflareSessionsFor(env, "workers");
    if ("error" in sessions) return configErrorResponse(sessions.error);
    const cf = (request as Request & { cf?: unknown }).cf;
    return handleRequest(request, sessions.withSession, { cloudflare: { env, ctx, cf } });
  },
};
