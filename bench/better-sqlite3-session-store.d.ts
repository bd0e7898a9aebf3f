// The package dropped its own types in 0.1.0; this is the part the bench calls.
declare module "better-sqlite3-session-store" {
  import type { Database } from "better-sqlite3";
  import type { Store } from "express-session";

  interface SqliteStoreOptions {
    client: Database;
    expired?: { clear?: boolean; intervalMs?: number };
  }

  /** Takes express-session (for its Store class) and returns the store class. */
  export default function createSqliteSessionStore(session: {
    Store: typeof Store;
  }): new (options: SqliteStoreOptions) => Store;
}
