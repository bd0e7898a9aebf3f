/** The directives of a `Cache-Control` value, split on the commas that are not inside quoted values. */
function directivesOf(value: string): string[] {
  const directives: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const char = value[i];
    if (quoted && char === "\\") {
      current += char + (value[++i] ?? "");
      continue;
    }
    if (char === '"') quoted = !quoted;
    if (char === "," && !quoted) {
      directives.push(current.trim());
      current = "";
    } else {
      current += char;
    }
  }
  directives.push(current.trim());
  return directives.filter(Boolean);
}

/** A directive's name, lower-cased, without its value or the whitespace around `=`. */
function nameOf(directive: string): string {
  const eq = directive.indexOf("=");
  return (eq === -1 ? directive : directive.slice(0, eq)).trim().toLowerCase();
}

// What lets a shared cache store a response (or, for `private`, is added back once in front).
const SHARED = new Set(["public", "s-maxage", "private"]);

/**
 * The app's `Cache-Control` with every directive that lets a shared cache store the response
 * replaced by `private`, for responses that carry someone's session cookie: a shared cache must
 * never hand it to another browser. Directive names are matched case-insensitively, with any
 * whitespace, and commas inside quoted values are not separators.
 */
export function privateCacheControl(value: string | null): string {
  if (!value) return "private, no-cache";
  const kept = directivesOf(value).filter((directive) => !SHARED.has(nameOf(directive)));
  if (kept.some((directive) => nameOf(directive) === "no-store")) return kept.join(", ");
  return ["private", ...kept].join(", ");
}
