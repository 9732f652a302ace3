/**
 * A path on this site, checked: what a `next` query parameter, a hidden `next` field, the sign-in
 * return cookie and every redirect built from one of them carry. Only `safeRedirectPath` makes one.
 */
export type SitePath = string & { readonly __sitePath: unique symbol };

const MAX_LENGTH = 2000;
/** A slash, then printable ASCII without backslash: no spaces, tabs, newlines, controls or look-alike slashes (`／`, `∕`). */
const PLAIN_PATH = /^\/[!-[\]-~]*$/;
/** What a browser (or a proxy that decodes first) reads as the start of another host, or a way up. */
const UNSAFE_DECODED = /^\/[/\\]|[\\\x00-\x20\x7f-\uffff]|(^|\/)\.\.?(\/|$)/;
const PLACEHOLDER = "http://site.invalid";
/** Enough rounds to see through double and triple encoding (`%252f`); anything deeper is refused. */
const DECODE_ROUNDS = 3;

/** The path part fully percent-decoded, or null when it cannot be (malformed, or encoded too deep). */
function decodedPath(path: string): string | null {
  let decoded = path;
  for (let round = 0; round <= DECODE_ROUNDS; round++) {
    let once: string;
    try {
      once = decodeURIComponent(decoded);
    } catch {
      return null;
    }
    if (once === decoded) return decoded;
    decoded = once;
  }
  return null;
}

/**
 * `next` as a path on this site, normalized (dot segments resolved), or the fallback. The answer
 * starts with one `/` and never a second `/` or `\`, so a browser resolving it, or a proxy decoding
 * it first, stays on this site. Refused: anything not a plain ASCII path (`//host`, `/\host`,
 * `https:`, `javascript:`, tabs, newlines, unicode slashes), and any path whose decoded form
 * (`%2e`, `%2f`, `%5c`, double-encoded too) starts a new host, climbs with a dot segment, or holds
 * a backslash, a control character or non-ASCII. Query and fragment are kept.
 */
export function safeRedirectPath(next: unknown, fallback: string): SitePath {
  const fallbackPath = fallback as SitePath;
  if (typeof next !== "string" || next.length > MAX_LENGTH || !PLAIN_PATH.test(next)) return fallbackPath;
  let url: URL;
  try {
    url = new URL(next, PLACEHOLDER);
  } catch {
    return fallbackPath;
  }
  if (url.origin !== PLACEHOLDER) return fallbackPath;
  const decoded = decodedPath(url.pathname);
  if (decoded === null || UNSAFE_DECODED.test(decoded)) return fallbackPath;
  return (url.pathname + url.search + url.hash) as SitePath;
}
