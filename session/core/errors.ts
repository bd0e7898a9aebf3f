/** The store could not be reached or did not answer in time; the request gets a 503. */
export class SessionStoreUnavailableError extends Error {
  /** True when a write was sent but not answered: it may still have been stored. */
  readonly outcomeUnknown: boolean;

  constructor(message: string, options?: { cause?: unknown; outcomeUnknown?: boolean }) {
    super(message, options);
    this.name = "SessionStoreUnavailableError";
    this.outcomeUnknown = options?.outcomeUnknown ?? false;
  }
}

/** The session grew past what its store accepts; the change is refused, nothing is written. */
export class SessionTooLargeError extends Error {
  /** Size of the rejected session, in bytes. */
  readonly size: number;
  /** The most the store accepts, in bytes. */
  readonly limit: number;

  constructor(what: string, size: number, limit: number) {
    super(`${what} would be ${size} bytes, over the limit of ${limit} bytes`);
    this.name = "SessionTooLargeError";
    this.size = size;
    this.limit = limit;
  }
}

/**
 * The session this request read was signed out or moved to a new id (signed in) by another request
 * while this one ran, so its changes were not saved. Like Django's `SessionInterrupted`: the commit is
 * refused, never replayed onto a session that no longer exists.
 */
export class SessionInterruptedError extends Error {
  constructor() {
    super(
      "The session changed while this request ran (signed in or out in another tab or request); nothing was saved.",
    );
    this.name = "SessionInterruptedError";
  }
}
