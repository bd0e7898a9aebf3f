import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";

import { requireLab } from "~/lab.server";

/**
 * Commits (or destroys) by hand, the way Remix apps without this stack do. Its own Set-Cookie must
 * win: the server adds no second one. `?library` commits a session object of its own, as a library
 * such as remix-auth does, while the route also changes `context.session`.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  requireLab(context);
  const { session, sessionStorage } = context;
  const params = new URL(request.url).searchParams;
  if (params.has("destroy")) {
    return json({ destroyed: true }, { headers: { "Set-Cookie": await sessionStorage.destroySession(session) } });
  }
  if (params.has("library")) {
    const own = await sessionStorage.getSession(request.headers.get("Cookie"));
    own.set("mark:library", "by the library");
    // Saved beside the library's commit when both name the same stored session.
    session.set("mark:beside", "beside the library");
    return json({ committed: true }, { headers: { "Set-Cookie": await sessionStorage.commitSession(own) } });
  }
  session.set("mark:hand", "by hand");
  const setCookie = await sessionStorage.commitSession(session);
  // Written after the hand-made commit: the app chose its own cookie, so this is not saved.
  session.set("mark:after-hand", "too late");
  return json({ committed: true }, { headers: { "Set-Cookie": setCookie } });
}
