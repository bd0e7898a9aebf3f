// No imports: used by the Node server, the stores and anything that prints a configured URL.

/**
 * `url` with the password of its userinfo replaced by `***`: `redis://user:***@host:6379/0`, or
 * `redis://***@host` when the userinfo has no user name before a colon (it may be the password).
 * Works on the text, not on `new URL`, so a password holding `/`, `@`, `:`, `#`, `?` or spaces (which
 * a URL parser would read as the end of the authority, or refuse) is masked whole, and so is one in
 * a string no parser accepts. The userinfo is taken to end at the last `@`: when a path, query or
 * fragment holds an `@` too, more is masked than needed, never less.
 */
export function maskUrlCredentials(url: string): string {
  const at = url.lastIndexOf("@");
  if (at === -1) return url;
  // `scheme:` followed by slashes (`redis://`, also `http:/` and `http:\\`, which parsers accept);
  // without slashes, what looks like a scheme may be the user name of `user:password@host`.
  const start = /^[A-Za-z][A-Za-z0-9+.-]*:[/\\]+/.exec(url)?.[0].length ?? 0;
  if (at < start) return url;
  const userinfo = url.slice(start, at);
  const colon = userinfo.indexOf(":");
  const masked = colon > 0 ? `${userinfo.slice(0, colon)}:***` : "***";
  return `${url.slice(0, start)}${masked}${url.slice(at)}`;
}
