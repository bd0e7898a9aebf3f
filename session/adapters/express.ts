import type { AppLoadContext, ServerBuild } from "@remix-run/node";
import { createRequestHandler as createRemixRequestHandler } from "@remix-run/node";
// Not re-exported from the package root: the adapter's own pieces, so we can commit in between.
import { createRemixRequest, sendRemixResponse } from "@remix-run/express/dist/server.js";
import type { NextFunction, Request, RequestHandler, Response } from "express";

import type { WithSession } from "../core/auto-commit";
import { guardedByDefault, type CrossOriginOption } from "../core/same-origin";

export interface SessionRequestHandlerOptions<Data, FlashData> {
  /** The Remix server build, or a function returning the latest one (development). */
  build: ServerBuild | (() => Promise<ServerBuild>);
  /** The auto-commit core made by `createAutoCommit`. */
  withSession: WithSession<Data, FlashData>;
  /**
   * The cross-origin guard put around `withSession` (`refuseCrossOriginWrites`): its `OriginPolicy`,
   * `{}` by default; `false` leaves it out. A `withSession` that already is the guard is run as is.
   */
  crossOrigin?: CrossOriginOption;
  /** Remix's mode; defaults to NODE_ENV. */
  mode?: string;
  /** Extra values for `context`, beside `session` and `sessionStorage`. */
  getLoadContext?: (req: Request, res: Response) => Promise<Record<string, unknown>> | Record<string, unknown>;
}

/**
 * `@remix-run/express`'s request handler with the session committed between Remix producing the
 * response and Express sending its headers. A POST/PUT/PATCH/DELETE from another origin gets a 403
 * unless `crossOrigin` is `false`.
 */
export function createRequestHandler<Data, FlashData>(
  options: SessionRequestHandlerOptions<Data, FlashData>,
): RequestHandler {
  const { build, crossOrigin, mode = process.env.NODE_ENV, getLoadContext } = options;
  const withSession = guardedByDefault(options.withSession, crossOrigin);
  const handleRequest = createRemixRequestHandler(build, mode);

  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const request = createRemixRequest(req, res);
      const extra = (await getLoadContext?.(req, res)) ?? {};
      const response = await withSession(request, (sessionContext) =>
        handleRequest(request, { ...extra, ...sessionContext } as unknown as AppLoadContext),
      );
      await sendRemixResponse(res, response);
    } catch (error) {
      next(error);
    }
  };
}
