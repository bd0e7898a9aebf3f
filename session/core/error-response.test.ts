import { describe, expect, it } from "vitest";

import { SessionInterruptedError, SessionStoreUnavailableError, SessionTooLargeError } from "./errors";
import { sessionErrorResponse } from "./error-response";

const document = new Request("http://app.test/preferences", { method: "POST" });
const data = new Request("http://app.test/preferences?_data=routes%2Fpreferences", { method: "POST" });

describe("sessionErrorResponse", () => {
  it("answers an interrupted write with 409 and a page saying nothing was saved", async () => {
    const response = sessionErrorResponse(document, new SessionInterruptedError());
    expect(response.status).toBe(409);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    const page = await response.text();
    expect(page).toContain("Your session changed while this request ran");
    expect(page).toContain("nothing it changed was saved");
  });

  it("answers a Remix data request with JSON its ErrorBoundary shows", async () => {
    const response = sessionErrorResponse(data, new SessionInterruptedError());
    expect(response.status).toBe(409);
    expect(response.headers.get("X-Remix-Catch")).toBe("yes");
    expect(await response.json()).toMatchObject({ error: "Your session changed while this request ran" });
  });

  it("says nothing was saved when the store could not be reached", async () => {
    const page = await sessionErrorResponse(document, new SessionStoreUnavailableError("down")).text();
    expect(page).toContain("Nothing was saved");
  });

  it("says a write past the store's deadline may have been saved, never that nothing was", async () => {
    const error = new SessionStoreUnavailableError("no answer", { outcomeUnknown: true });
    const response = sessionErrorResponse(document, error);
    expect(response.status).toBe(503);
    const page = await response.text();
    expect(page).toContain("may or may not have been saved");
    expect(page).not.toContain("Nothing was saved");
  });

  it("gives the sizes when the session is too large", async () => {
    const response = sessionErrorResponse(document, new SessionTooLargeError("The session", 5000, 2048));
    expect(response.status).toBe(500);
    expect(await response.text()).toContain("5000 bytes, over the limit of 2048 bytes");
  });
});
