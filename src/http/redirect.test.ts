import { describe, expect, test } from "bun:test";
import { BASE, createTestApp } from "../testing/harness.ts";
import { safeRedirectPath } from "./redirect.ts";

const FALLBACK = "/fallback";
const ADMIN_TOKEN = "redirect-test-admin-token-0123456789";

/**
 * Known open-redirect payloads: each must come out as the fallback. Sources: the usual lists
 * (PayloadsAllTheThings, OWASP), plus what WHATWG URL parsing and decoding proxies do to them.
 */
const ESCAPES: unknown[] = [
  // protocol-relative and more slashes
  "//evil.example",
  "///evil.example",
  "////evil.example/account",
  "//evil.example/%2e%2e",
  // backslashes, which browsers read as slashes in http(s) URLs
  "/\\evil.example",
  "\\\\evil.example",
  "\\/evil.example",
  "/\\/evil.example",
  "/../\\evil.example",
  "/./\\evil.example",
  // dot segments that collapse into `//` once resolved
  "/.//evil.example",
  "/..//evil.example",
  "/a/..//evil.example",
  // percent-encoded dots, slashes and backslashes, single and double
  "/%2e//evil.example",
  "/%2E//evil.example",
  "/%2e%2e//evil.example",
  "/%2f/evil.example",
  "/%2F%2Fevil.example",
  "%2f%2fevil.example",
  "/%5cevil.example",
  "/%5C%5Cevil.example",
  "/%252f%252fevil.example",
  "/%25252f%25252fevil.example",
  "/%252e%252e/account",
  "/%c0%af/evil.example",
  // tab, newline and other control characters (the URL parser drops tabs and newlines)
  "/\t/evil.example",
  "/\n/evil.example",
  "/\r\n/evil.example",
  "/%09/evil.example",
  "/%0a/evil.example",
  "/%0d%0aSet-Cookie:%20sid=x",
  "/%00/evil.example",
  "/\u0000/evil.example",
  " //evil.example",
  "\t//evil.example",
  "/ /evil.example",
  "/%20/evil.example",
  "/\u00a0/evil.example",
  // absolute URLs and other schemes
  "https://evil.example",
  "HTTPS://evil.example/account",
  "http:evil.example",
  "https:/evil.example",
  "http:\\\\evil.example",
  "javascript:alert(1)",
  "JaVaScRiPt:alert(document.domain)",
  "java\tscript:alert(1)",
  "\u0001javascript:alert(1)",
  "data:text/html,<script>alert(1)</script>",
  "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
  "vbscript:msgbox(1)",
  // userinfo tricks
  "//localhost:3001@evil.example",
  "/\\localhost:3001@evil.example",
  "http://localhost:3001@evil.example",
  "//evil.example\\@localhost:3001",
  // unicode slashes, dots and look-alikes some browsers, libraries or proxies normalize (NFKC, IDNA)
  "/\uff0fevil.example",
  "\uff0f\uff0fevil.example",
  "/\u2215evil.example",
  "\u2215\u2215evil.example",
  "/\u2044evil.example",
  "/\uff3cevil.example",
  "/\ufe68evil.example",
  "//evil\u3002example",
  "/%EF%BC%8Fevil.example",
  "/%E2%88%95evil.example",
  // not a path at all
  "",
  "evil.example",
  "./account",
  "?next=//evil.example",
  "#//evil.example",
  `/${"a".repeat(3000)}`,
  42,
  null,
  undefined,
  {},
  ["/account"],
];

/** Odd but harmless: each stays a path on this site, whatever it is turned into. */
const ODD_BUT_LOCAL = ["/@evil.example", "/javascript:alert(1)", "/evil.example", "/a//evil.example", "/account?next=//evil.example", "/account#//evil.example"];

const LEGIT: [string, string][] = [
  ["/", "/"],
  ["/account", "/account"],
  ["/admin", "/admin"],
  ["/connect?todoist=x", "/connect?todoist=x"],
  ["/connect?todoist=connected&tab=1", "/connect?todoist=connected&tab=1"],
  ["/account?tab=1#x", "/account?tab=1#x"],
  ["/tip/abc-123/feedback?next=%2Faccount", "/tip/abc-123/feedback?next=%2Faccount"],
  ["/a/./b/../account", "/a/account"],
];

/** Fully percent-decoded, as a decoding proxy might pass it on (null when it cannot be decoded). */
function decodedFully(value: string): string | null {
  let decoded = value;
  for (let round = 0; round < 5; round++) {
    try {
      const once = decodeURIComponent(decoded);
      if (once === decoded) return decoded;
      decoded = once;
    } catch {
      return null;
    }
  }
  return null;
}

/** Where a browser lands following this as a `Location`, as sent and once decoded: on this site, both. */
function expectOnSite(value: string) {
  expect(value).toMatch(/^\/(?![/\\])[!-~]*$/);
  expect(new URL(value, BASE).origin).toBe(BASE);
  const decoded = decodedFully(value);
  expect(decoded).not.toBeNull();
  expect(new URL(decoded!, BASE).origin).toBe(BASE);
}

/** The value of the hidden `next` field, unescaped as a browser would. */
function hiddenNext(page: string): string {
  const value = /<input type="hidden" name="next" value="([^"]*)"/.exec(page)?.[1];
  expect(value).toBeDefined();
  return value!.replaceAll("&quot;", '"').replaceAll("&#39;", "'").replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");
}

const postForm = (fields: Record<string, string>, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded", origin: BASE, ...headers },
  body: new URLSearchParams(fields).toString(),
});

describe("safeRedirectPath", () => {
  test(`${ESCAPES.length} known open-redirect payloads all come out as the fallback`, () => {
    expect(ESCAPES.length).toBeGreaterThanOrEqual(30);
    for (const payload of ESCAPES) expect([payload, safeRedirectPath(payload, FALLBACK)]).toEqual([payload, FALLBACK]);
  });

  test("odd but harmless paths stay on this site", () => {
    for (const payload of ODD_BUT_LOCAL) expectOnSite(safeRedirectPath(payload, FALLBACK));
  });

  test("paths on this site are kept, with their query and fragment, dot segments resolved", () => {
    for (const [next, kept] of LEGIT) {
      expect<string>(safeRedirectPath(next, FALLBACK)).toBe(kept);
      expectOnSite(kept);
    }
  });
});

describe("every next and redirect on the real routes stays on this site", () => {
  const payloads = [...ESCAPES.filter((payload): payload is string => typeof payload === "string"), ...ODD_BUT_LOCAL];
  /** The forms' schema refuses a longer `next` (400) before any handler runs. */
  const formPayloads = payloads.filter((payload) => payload.length <= 2000);

  test("GET /signin?next=… : the Google form's hidden field, and the flow cookie the form sets", async () => {
    const context = createTestApp({ GOOGLE_CLIENT_ID: "oo-test-client", GOOGLE_CLIENT_SECRET: "oo-test-secret" });
    for (const payload of payloads) {
      const page = await context.request(`/signin?next=${encodeURIComponent(payload)}`);
      expect(page.status).toBe(200);
      const next = hiddenNext(await page.text());
      expectOnSite(next);
      if (!formPayloads.includes(payload)) continue;
      const login = await context.request("/api/auth/login", postForm({ next: payload }));
      expect([payload, login.status]).toEqual([payload, 302]);
      const cookie = login.headers.getSetCookie().find((line) => line.startsWith("oauth_next="))!;
      expectOnSite(decodeURIComponent(/^oauth_next=([^;]*)/.exec(cookie)![1]!));
    }
    expect(hiddenNext(await (await context.request("/signin?next=%2Fconnect%3Ftodoist%3Dx")).text())).toBe("/connect?todoist=x");
  });

  test("GET /admin/login?next=… : the hidden field", async () => {
    const context = createTestApp({ ADMIN_TOKEN });
    for (const payload of payloads) {
      const page = await context.request(`/admin/login?next=${encodeURIComponent(payload)}`);
      expect(page.status).toBe(200);
      expectOnSite(hiddenNext(await page.text()));
    }
    expect(hiddenNext(await (await context.request("/admin/login?next=%2Faccount")).text())).toBe("/account");
  });

  test("POST /admin/login with next: the Location after signing in, and the field shown again on a wrong token", async () => {
    const context = createTestApp({ ADMIN_TOKEN });
    for (const payload of formPayloads) {
      const response = await context.request("/admin/login", postForm({ token: ADMIN_TOKEN, next: payload }));
      expect([payload, response.status]).toEqual([payload, 303]);
      expectOnSite(response.headers.get("location")!);
    }
    const wrong = await context.request("/admin/login", postForm({ token: "not-the-admin-token-at-all", next: "/%2e//evil.example" }));
    expect(wrong.status).toBe(401);
    expect(hiddenNext(await wrong.text())).toBe("/admin");
    const kept = await context.request("/admin/login", postForm({ token: ADMIN_TOKEN, next: "/connect?todoist=x" }));
    expect(kept.headers.get("location")).toBe("/connect?todoist=x");
  });

  test("the guards send a signed-out form post back only to a same-site page it came from", async () => {
    const context = createTestApp();
    const post = (referer: string) => context.request("/account", postForm({ timezone: "UTC", quietHoursStart: "22:00", quietHoursEnd: "07:00" }, { referer }));
    for (const referer of [`${BASE}//evil.example`, `${BASE}/.//evil.example`, `${BASE}/%2e//evil.example`, "https://evil.example/account"]) {
      const response = await post(referer);
      expect(response.status).toBe(303);
      // Sent without a session, the form did nothing: the sign-in page says so.
      expect(response.headers.get("location")).toBe("/signin?notice=expired");
    }
    expect((await post(`${BASE}/account?tab=1`)).headers.get("location")).toBe("/signin?next=%2Faccount%3Ftab%3D1&notice=expired");
  });
});
