import type { AppLoadContext } from "@remix-run/node";
import { describe, expectTypeOf, it } from "vitest";

import type { AppSession, SessionData } from "./session";

// These assertions run in the type checker (`npm run typecheck`); a wrong type fails the build.
describe("context.session types", () => {
  it("comes from the AppLoadContext augmentation in remix.env.d.ts", () => {
    expectTypeOf<AppLoadContext["session"]>().toEqualTypeOf<AppSession>();
  });

  it("types each declared key and its flash", () => {
    const check = (session: AppSession) => {
      expectTypeOf(session.get("visits")).toEqualTypeOf<number | undefined>();
      expectTypeOf(session.get("theme")).toEqualTypeOf<SessionData["theme"] | undefined>();
      expectTypeOf(session.get("notice")).toEqualTypeOf<string | undefined>();
      expectTypeOf(session.get("mark:anything")).toEqualTypeOf<string | undefined>();
      // @ts-expect-error visits is a number
      session.set("visits", "many");
      // @ts-expect-error undeclared keys do not compile
      session.set("undeclared", 1);
      // @ts-expect-error notice is a flash, not a value
      session.set("notice", "x");
    };
    expectTypeOf(check).toBeFunction();
  });
});
