/** The store could not be reached or did not answer in time; the request gets a 503. */
export class SessionStoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SessionStoreUnavailableError";
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
