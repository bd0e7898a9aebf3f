// The Cloudflare Pages Function: `npm run build:cloudflare` bundles this file with the app into
// functions/[[path]].js. Wiring only; server.ts is its Express counterpart, server.worker.ts its Workers one.
import * as build from "@remix-run/dev/server-build";

import type { AppContextExtras } from "./app/lab-context";
import type { AppSessionContext, SessionData, SessionFlashData } from "./app/session";
import { configErrorResponse, type CloudflareEnv } from "./server/cloudflare-config";
import { cloudflareSessionsFor } from "./server/cloudflare-sessions";
import { createPagesFunction, type PagesEventContext } from "auto-commit-session/cloudflare";

declare module "@remix-run/cloudflare" {
  // The same typed session and lab as on Express (remix.env.d.ts), and on Cloudflare also Remix's
  // `cloudflare` value: `context.cloudflare.env` holds the bindings. server.worker.ts shares this.
  interface AppLoadContext extends AppSessionContext, AppContextExtras {
    cloudflare?: { env: CloudflareEnv; cf: unknown; ctx: { waitUntil(promise: Promise<unknown>): void } };
  }
}

const handleRequest = createPagesFunction<CloudflareEnv, SessionData, SessionFlashData>({ build });

export async function onRequest(context: PagesEventContext<CloudflareEnv>): Promise<Response> {
  // A wrong binding answers every request, static files included, with a page naming it.
  const sessions = cloudflareSessionsFor(context.env, "pages");
  if ("error" in sessions) return configErrorResponse(sessions.error);
  return handleRequest(context, sessions.withSession);
}
