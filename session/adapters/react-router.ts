import type { SessionContext, WithSession } from "../core/auto-commit";
import { guardedByDefault, type CrossOriginOption } from "../core/same-origin";

/**
 * The key a value is kept under on React Router's `RouterContextProvider`: what `createContext<T>()`
 * from "react-router" returns. Typed here by shape, so this entry imports nothing from React Router.
 */
export interface RouterContextKey<T> {
  defaultValue?: T;
}

/** The arguments React Router 7 passes a server middleware, as far as this one uses them. */
export interface SessionMiddlewareArgs<Data, FlashData> {
  request: Request;
  context: {
    set(key: RouterContextKey<SessionContext<Data, FlashData>>, value: SessionContext<Data, FlashData>): void;
  };
}

/** A React Router 7 server middleware (`future.v8_middleware`) that gives each request a session. */
export type SessionMiddleware<Data, FlashData> = (
  args: SessionMiddlewareArgs<Data, FlashData>,
  next: () => Promise<Response>,
) => Promise<Response>;

export interface SessionMiddlewareOptions<Data, FlashData> {
  /** The auto-commit core made by `createAutoCommit`. */
  withSession: WithSession<Data, FlashData>;
  /**
   * The cross-origin guard put around `withSession` (`refuseCrossOriginWrites`): its `OriginPolicy`,
   * `{}` by default; `false` leaves it out. A `withSession` that already is the guard is run as is.
   */
  crossOrigin?: CrossOriginOption;
  /** Where loaders, actions and later middleware find the session: `createContext<SessionContext<…>>()`. */
  context: RouterContextKey<SessionContext<Data, FlashData>>;
}

/**
 * React Router's server middleware for self-committing sessions: the session is read before `next()`,
 * put on the router context, and committed from the response `next()` returns, before its headers go
 * out. Export it from the root route as `middleware = [sessionMiddleware]`. A POST/PUT/PATCH/DELETE
 * from another origin gets a 403 unless `crossOrigin` is `false`.
 */
export function createSessionMiddleware<Data, FlashData>(
  options: SessionMiddlewareOptions<Data, FlashData>,
): SessionMiddleware<Data, FlashData> {
  const { context: key } = options;
  const withSession = guardedByDefault(options.withSession, options.crossOrigin);
  return function sessionMiddleware({ request, context }, next) {
    return withSession(request, (sessionContext) => {
      context.set(key, sessionContext);
      return next();
    });
  };
}
