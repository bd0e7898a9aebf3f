import { createRequestHandler, type AppLoadContext, type ServerBuild } from "@remix-run/cloudflare";

import type { WithSession } from "../core/auto-commit";
import { guardedByDefault, type CrossOriginOption } from "../core/same-origin";

/** A Remix server build, or a function returning it. */
type Build = ServerBuild | (() => ServerBuild | Promise<ServerBuild>);

/** Runs one request through Remix inside `withSession`, with `extra` beside the session on `context`. */
export type SessionRequestHandler<Data, FlashData> = (
  request: Request,
  withSession: WithSession<Data, FlashData>,
  extra?: Record<string, unknown>,
) => Promise<Response>;

/**
 * Remix's plain Workers handler (`createRequestHandler` from `@remix-run/cloudflare`) with a session
 * that commits itself: the session is read before Remix runs and committed on the response it returns.
 * Used as is by a Worker (server.worker.ts), whose static assets never reach it. A POST/PUT/PATCH/DELETE
 * from another origin gets a 403: `crossOrigin` is the guard's `OriginPolicy` (`{}` by default), or
 * `false` to leave it out; a `withSession` that already is the guard is run as is.
 */
export function createSessionRequestHandler<Data, FlashData>(
  build: Build,
  mode?: string,
  crossOrigin?: CrossOriginOption,
): SessionRequestHandler<Data, FlashData> {
  const handleRemix = createRequestHandler(build, mode);
  return async (request, withSession, extra = {}) => {
    try {
      return await guardedByDefault(withSession, crossOrigin)(request, (sessionContext) =>
        handleRemix(request, { ...extra, ...sessionContext } as unknown as AppLoadContext),
      );
    } catch (error) {
      // What Express's error handler does with an unexpected failure: log it, answer 500.
      console.error(error);
      return new Response("Internal Error", { status: 500 });
    }
  };
}

/** A Pages Function's `EventContext`, typed with this project's (DOM) Request. */
export interface PagesEventContext<Env> {
  request: Request;
  env: Env & { ASSETS: { fetch: typeof fetch } };
  functionPath: string;
  params: Record<string, string | string[]>;
  data: Record<string, unknown>;
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
  next(input?: Request | string, init?: RequestInit): Promise<Response>;
}

export interface SessionPagesFunctionOptions<Env> {
  /** The Remix server build (`import * as build from "@remix-run/dev/server-build"`). */
  build: Build;
  /** Remix's mode; defaults to the build's NODE_ENV. */
  mode?: string;
  /** Extra values for `context`, beside `session` and `sessionStorage`; defaults to Remix's `{ cloudflare }`. */
  getLoadContext?: (context: PagesEventContext<Env>) => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** The cross-origin guard's `OriginPolicy` (`{}` by default), or `false` to leave it out; see `createSessionRequestHandler`. */
  crossOrigin?: CrossOriginOption;
}

/**
 * A Pages Function that serves `env.ASSETS` first, as `@remix-run/cloudflare-pages` does, and runs
 * every other request through Remix inside `withSession` (the auto-commit core for the request's
 * bindings). Static files never read or write the session.
 */
export function createPagesFunction<Env, Data, FlashData>(
  options: SessionPagesFunctionOptions<Env>,
): (context: PagesEventContext<Env>, withSession: WithSession<Data, FlashData>) => Promise<Response> {
  const { build, mode, getLoadContext = pagesLoadContext, crossOrigin } = options;
  const handleRequest = createSessionRequestHandler<Data, FlashData>(build, mode, crossOrigin);
  return async function onRequest(context, withSession) {
    const asset = await staticAsset(context);
    if (asset) return asset;
    return handleRequest(context.request, withSession, await getLoadContext(context));
  };
}

/** The file `env.ASSETS` holds for a GET or HEAD, or undefined when it has none. */
async function staticAsset<Env>(context: PagesEventContext<Env>): Promise<Response | undefined> {
  const { request, env } = context;
  if (request.method !== "GET" && request.method !== "HEAD") return undefined;
  try {
    const response = await env.ASSETS.fetch(request.url, { method: request.method, headers: request.headers });
    // A fresh Response: the one ASSETS returns has immutable headers.
    return response.status >= 200 && response.status < 400 ? new Response(response.body, response) : undefined;
  } catch {
    return undefined;
  }
}

/** What `@remix-run/cloudflare-pages` puts on `context`: `cloudflare`, with the bindings in `cloudflare.env`. */
function pagesLoadContext<Env>(context: PagesEventContext<Env>): Record<string, unknown> {
  const { request, env, waitUntil, passThroughOnException } = context;
  const cf = (request as Request & { cf?: unknown }).cf;
  return { cloudflare: { ...context, env, cf, ctx: { waitUntil, passThroughOnException }, caches } };
}
