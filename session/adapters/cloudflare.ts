import type { AppLoadContext, ServerBuild } from "@remix-run/cloudflare";
import { createPagesFunctionHandler, type GetLoadContextFunction } from "@remix-run/cloudflare-pages";

import type { SessionContext, WithSession } from "../core/auto-commit";

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

export interface SessionPagesFunctionOptions<Env, Data, FlashData> {
  /** The Remix server build (`import * as build from "@remix-run/dev/server-build"`). */
  build: ServerBuild | (() => ServerBuild | Promise<ServerBuild>);
  /**
   * The auto-commit core (made by `createAutoCommit`) for this request's bindings. Called only for
   * requests Remix serves, never for a static asset.
   */
  withSession: (context: PagesEventContext<Env>) => WithSession<Data, FlashData>;
  /** Remix's mode; defaults to the build's NODE_ENV. */
  mode?: string;
  /** Extra values for `context`, beside `session` and `sessionStorage`; defaults to Remix's `{ cloudflare }`. */
  getLoadContext?: GetLoadContextFunction<Env>;
}

/**
 * `@remix-run/cloudflare-pages`' `createPagesFunctionHandler` with a session that commits itself.
 *
 * That handler serves `env.ASSETS` first and runs Remix only when no asset matches, calling
 * `getLoadContext` right before Remix. So the session is read there, which keeps static assets free of
 * session reads and cookies, and it is committed once the handler returns Remix's response.
 */
export function createPagesFunction<Env, Data, FlashData>(
  options: SessionPagesFunctionOptions<Env, Data, FlashData>,
): (context: PagesEventContext<Env>) => Promise<Response> {
  const { build, withSession, mode, getLoadContext } = options;
  // The Pages handler passes our EventContext's own Request to getLoadContext.
  const turns = new WeakMap<Request, SessionTurn<Data, FlashData>>();

  const handlePages = createPagesFunctionHandler<Env>({
    build,
    mode,
    async getLoadContext(args) {
      const extra = getLoadContext ? await getLoadContext(args) : args.context;
      const turn = turns.get(args.request);
      if (!turn) throw new Error("createPagesFunction: no session turn for this request");
      return { ...extra, ...(await turn.open()) } as unknown as AppLoadContext;
    },
  });

  return async (context) => {
    const turn = new SessionTurn(context.request, () => withSession(context));
    turns.set(context.request, turn);
    // The same object; @cloudflare/workers-types merely spells Request its own way.
    const response = await handlePages(context as unknown as Parameters<typeof handlePages>[0]);
    return turn.close(response);
  };
}

/** Thrown into Remix when the session could not be read; the answer `withSession` made replaces Remix's. */
class SessionUnreadableError extends Error {
  constructor() {
    super("The session could not be read");
    this.name = "SessionUnreadableError";
  }
}

/**
 * One request's pass through `withSession`, split in two because the Pages handler owns the middle:
 * `open()` reads the session and hands Remix its context, `close()` gives back Remix's response and
 * returns it committed.
 */
class SessionTurn<Data, FlashData> {
  #request: Request;
  #createWithSession: () => WithSession<Data, FlashData>;
  #committed: Promise<Response> | undefined;
  #deliver: ((response: Response) => void) | undefined;

  constructor(request: Request, createWithSession: () => WithSession<Data, FlashData>) {
    this.#request = request;
    this.#createWithSession = createWithSession;
  }

  /** Reads the session and resolves with the context Remix gets; rejects when it cannot be read. */
  open(): Promise<SessionContext<Data, FlashData>> {
    return new Promise((resolve, reject) => {
      this.#committed = this.#createWithSession()(this.#request, (sessionContext) => {
        resolve(sessionContext);
        return new Promise<Response>((deliver) => (this.#deliver = deliver));
      });
      // Settled before Remix ran: the read failed and `withSession` answered (a 503) or threw.
      this.#committed.then(() => reject(new SessionUnreadableError()), reject);
    });
  }

  /** Hands over the Pages handler's response and resolves with the one to send. */
  async close(response: Response): Promise<Response> {
    // A static asset, or the handler failed before it asked for a context.
    if (!this.#committed) return response;
    // Without a delivery point the read failed, and the Pages handler answered its generic 500 for the
    // error thrown into it; the answer `withSession` made (a 503 page) is the better one.
    this.#deliver?.(response);
    return this.#committed.catch((error: unknown) => {
      // What Express's error handler would do with an unexpected failure: log it, answer 500.
      console.error(error);
      return new Response("Internal Error", { status: 500 });
    });
  }
}
