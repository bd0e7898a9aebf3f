/** Signs every bench server's cookies; long enough for production mode. */
export const BENCH_SECRET = "bench-secret-that-is-at-least-32-characters-long";
/** Every server names its cookie the same, so one client helper serves them all. */
export const COOKIE_NAME = "__session";
