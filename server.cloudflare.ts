// The Cloudflare Pages Function: `npm run build:cloudflare` bundles this file with the app into
// functions/[[path]].js. Wiring only; server.ts is its Express counterpart.
import * as build from "@remix-run/dev/server-build";

import type { AppSessionContext, SessionData, SessionFlashData } from "./app/session";
import { configErrorResponse, type PagesEnv } from "./server/cloudflare-config";
import { pagesSessionsFor } from "./server/cloudflare-sessions";
import { createPagesFunction, type PagesEventContext } from "./session/adapters/cloudflare";

declare module "@remix-run/cloudflare" {
  // The same typed session as on Express (remix.env.d.ts), and on Cloudflare also Remix's
  // `cloudflare` value: `context.cloudflare.env` holds the bindings.
  interface AppLoadContext extends AppSessionContext {
    cloudflare?: { env: PagesEnv; cf: unknown; ctx: { waitUntil(promise: Promise<unknown>): void } };
  }
}

const handleRequest = createPagesFunction<PagesEnv, SessionData, SessionFlashData>({
  build,
  withSession: ({ env }) => {
    const sessions = pagesSessionsFor(env);
    if ("error" in sessions) throw sessions.error;
    return sessions.withSession;
  },
});

export async function onRequest(context: PagesEventContext<PagesEnv>): Promise<Response> {
  // A wrong binding answers every request with a page naming it, rather than a bare 500.
  const sessions = pagesSessionsFor(context.env);
  if ("error" in sessions) return configErrorResponse(sessions.error);
  return handleRequest(context);
}
