import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { TIMEZONE_DETECT_SCRIPT } from "../../views/account.tsx";
import { signIn } from "../testing/auth.ts";
import { BASE, createTestApp } from "../testing/harness.ts";
import { chunked, rowCounts } from "../testing/requests.ts";

const errorCode = async (response: Response) => ((await response.json()) as { error: { code: string } }).error.code;

describe("request bodies", () => {
  test("an oversized body is refused with 413, declared or chunked, and nothing is written", async () => {
    const context = createTestApp();
    const person = signIn(context.database);
    const before = rowCounts(context);
    const declared = await context.request("/api/user/profile", {
      method: "PATCH",
      headers: { cookie: person.cookie, "content-type": "application/json", "content-length": String(10 * 1024 * 1024) },
      body: "{}",
    });
    expect(declared.status).toBe(413);
    expect(await errorCode(declared)).toBe("too_large");
    const streamed = await context.request("/api/user/profile", {
      method: "PATCH",
      headers: { cookie: person.cookie, "content-type": "application/json" },
      body: chunked(200 * 1024),
    });
    expect(streamed.status).toBe(413);
    const form = await context.request("/account", {
      method: "POST",
      headers: { cookie: person.cookie, "content-type": "application/x-www-form-urlencoded" },
      body: chunked(100 * 1024),
    });
    expect(form.status).toBe(413);
    expect(form.headers.get("content-type")).toContain("text/html");
    expect(rowCounts(context)).toEqual(before);
  });

  test("a cross-origin request is refused before its body is read", async () => {
    const context = createTestApp();
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(64 * 1024));
      },
    });
    const response = await context.request("/api/auth/token", {
      method: "POST",
      headers: { origin: "https://evil.example", "sec-fetch-site": "cross-site", "content-type": "application/json" },
      body,
    });
    expect(response.status).toBe(403);
    expect(await errorCode(response)).toBe("cross_origin");
    expect(pulled).toBeLessThanOrEqual(1);
  });

  test("an API call that needs a session and has none is refused before its body is read", async () => {
    const context = createTestApp();
    const person = signIn(context.database);
    const streamed = () => {
      const body = {
        pulled: 0,
        stream: new ReadableStream<Uint8Array>({
          pull(controller) {
            body.pulled++;
            controller.enqueue(new Uint8Array(32 * 1024).fill(0x20));
          },
        }),
      };
      return body;
    };
    for (const cookie of ["", "sid=not-a-session", `sid=${person.token}x`]) {
      const body = streamed();
      const response = await context.request("/api/user/profile", {
        method: "PATCH",
        headers: { cookie, "content-type": "application/json" },
        body: body.stream,
      });
      expect(response.status).toBe(401);
      expect(await errorCode(response)).toBe("unauthenticated");
      expect(body.pulled).toBeLessThanOrEqual(1);
    }
    // Signed in, the same kind of body is read, up to its limit.
    const body = streamed();
    const response = await context.request("/api/user/profile", {
      method: "PATCH",
      headers: { cookie: person.cookie, "content-type": "application/json" },
      body: body.stream,
    });
    expect(response.status).toBe(413);
    expect(body.pulled).toBeGreaterThan(1);
  });

  test("JSON APIs take JSON only, forms take forms only: 415, and nothing changes", async () => {
    const context = createTestApp();
    const person = signIn(context.database);
    const before = rowCounts(context);
    const profile = (init: RequestInit) => context.request("/api/user/profile", { method: "PATCH", ...init, headers: { cookie: person.cookie, ...init.headers } });
    const asForm = await profile({ headers: { "content-type": "application/x-www-form-urlencoded" }, body: "timezone=Asia%2FTokyo" });
    expect(asForm.status).toBe(415);
    expect(await errorCode(asForm)).toBe("unsupported_media_type");
    const multipart = new FormData();
    multipart.set("timezone", "Asia/Tokyo");
    expect((await profile({ body: multipart })).status).toBe(415);
    expect((await profile({ headers: { "content-type": "text/plain" }, body: '{"timezone":"Asia/Tokyo"}' })).status).toBe(415);
    const jsonToForm = await context.request("/account", {
      method: "POST",
      headers: { cookie: person.cookie, "content-type": "application/json" },
      body: JSON.stringify({ timezone: "Asia/Tokyo", quietHoursStart: "22:00", quietHoursEnd: "08:00" }),
    });
    expect(jsonToForm.status).toBe(415);
    expect(rowCounts(context)).toEqual(before);
    expect((await (await context.request("/api/user/profile", { headers: { cookie: person.cookie } })).json()).timezone).toBe("UTC");
  });

  test("a body of the wrong shape or not JSON gets 400 naming the problem, and nothing changes", async () => {
    const context = createTestApp();
    const person = signIn(context.database);
    const before = rowCounts(context);
    const patch = (body: string | Uint8Array<ArrayBuffer>) =>
      context.request("/api/user/profile", { method: "PATCH", headers: { cookie: person.cookie, "content-type": "application/json" }, body });
    for (const body of ["[]", "42", '"str"', "null", "{", '{"pushOptIn":"yes"}', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])]) {
      const response = await patch(body);
      expect(response.status).toBe(400);
      const { error } = (await response.json()) as { error: { code: string; message: string } };
      expect(["invalid_request", "invalid_body"]).toContain(error.code);
      expect(error.message.length).toBeGreaterThan(0);
    }
    expect(rowCounts(context)).toEqual(before);
  });
});

describe("security headers", () => {
  test("pages, JSON and errors carry them; static files keep their own caching", async () => {
    const context = createTestApp();
    const person = signIn(context.database);
    for (const [path, cookie] of [["/signin", ""], ["/account", person.cookie], ["/api/user/profile", person.cookie], ["/no-such-page", ""], ["/api/nothing", ""]] as const) {
      const response = await context.request(path, { headers: { cookie } });
      const csp = response.headers.get("content-security-policy")!;
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("form-action 'self' https://accounts.google.com https://todoist.com");
      expect(csp).toContain("default-src 'self'");
      expect(csp).not.toContain("unsafe-inline");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("x-frame-options")).toBe("DENY");
      expect(response.headers.get("referrer-policy")).toBe("same-origin");
      expect(response.headers.get("cache-control")).toBe("no-store");
      expect(response.headers.get("strict-transport-security")).toBeNull();
    }
    const stylesheet = /href="(\/assets\/style\.[a-z0-9]+\.css)"/.exec(await (await context.request("/signin")).text())![1]!;
    const asset = await context.request(stylesheet);
    expect(asset.headers.get("cache-control")).toContain("immutable");
    expect(asset.headers.get("x-content-type-options")).toBe("nosniff");
    // The setup link's token is in the address bar: its page keeps a stricter referrer policy.
    expect((await context.request("/setup?token=x")).headers.get("referrer-policy")).toBe("no-referrer");
  });

  test("the one inline script is allowed by its hash, and HSTS is sent when the instance is served over https", async () => {
    const hash = `'sha256-${createHash("sha256").update(TIMEZONE_DETECT_SCRIPT).digest("base64")}'`;
    const plain = createTestApp();
    expect((await plain.request("/signin")).headers.get("content-security-policy")).toContain(`script-src 'self' ${hash}`);
    const secure = createTestApp({ API_BASE_URL: "https://oo.example" });
    const response = await secure.request("/signin", { headers: { host: "oo.example" } });
    expect(response.headers.get("strict-transport-security")).toBe("max-age=31536000; includeSubDomains");
  });
});

describe("host check", () => {
  test("a Host that is not this instance's is refused before anything runs; its own names and loopback pass", async () => {
    const context = createTestApp({ API_BASE_URL: "https://oo.example", WEB_BASE_URL: "https://app.oo.example" });
    const person = signIn(context.database);
    const before = rowCounts(context);
    const rebound = await context.request("/api/user/profile", {
      method: "PATCH",
      headers: { host: "evil.example:3001", cookie: person.cookie, "content-type": "application/json" },
      body: JSON.stringify({ timezone: "Asia/Tokyo" }),
    });
    expect(rebound.status).toBe(421);
    expect(await errorCode(rebound)).toBe("unknown_host");
    expect(rowCounts(context)).toEqual(before);
    const page = await context.request("/signin", { headers: { host: "evil.example" } });
    expect(page.status).toBe(421);
    expect(page.headers.get("content-type")).toContain("text/html");
    for (const host of ["oo.example", "app.oo.example", "OO.EXAMPLE", "localhost:3001", "127.0.0.1:8080", "[::1]:3001"]) {
      expect((await context.request("/signin", { headers: { host } })).status).toBe(200);
    }
    expect(new URL(BASE).hostname).toBe("localhost");
    // A load balancer's health probe may use the instance's IP address as its Host.
    expect((await context.request("/health", { headers: { host: "10.0.0.5:3001" } })).status).toBe(200);
  });
});
