/// <reference types="@remix-run/dev" />
/// <reference types="@remix-run/node" />

import type { AppContextExtras } from "./app/lab-context";
import type { AppSessionContext } from "./app/session";

declare module "@remix-run/node" {
  // Every loader and action gets the request's session, committed after the response is produced,
  // and `lab`, present when LAB_ROUTES is on.
  // eslint-disable-next-line @typescript-eslint/no-empty-interface
  interface AppLoadContext extends AppSessionContext, AppContextExtras {}
}
