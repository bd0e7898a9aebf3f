import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";

/**
 * Commits (or destroys) by hand, the way Remix apps without this stack do. Its own Set-Cookie must
 * win: the server adds no second one.
 */
export async function loader({ request, context: { session, sessionStorage } }: LoaderFunctionArgs) {
  if (new URL(request.url).searchParams.has("destroy")) {
    return json({ destroyed: true }, { headers: { "Set-Cookie": await sessionStorage.destroySession(session) } });
  }
  session.set("mark:hand", "by hand");
  const setCookie = await sessionStorage.commitSession(session);
  // Written after the hand-made commit: the app chose its own cookie, so this is not saved.
  session.set("mark:after-hand", "too late");
  return json({ committed: true }, { headers: { "Set-Cookie": setCookie } });
}
