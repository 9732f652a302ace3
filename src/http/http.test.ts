import { describe, expect, test } from "bun:test";
import { Elysia, t } from "elysia";
import { events } from "../db/schema.ts";
import { signIn } from "../testing/auth.ts";
import { BASE, createTestApp } from "../testing/harness.ts";
import { loggedPath, requestContext } from "./request-context.ts";
import { continueTrace } from "../trace.ts";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const INCOMING = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

/** The app plus a few routes that exercise the plumbing the way feature modules will. */
function appWithProbeRoutes() {
  const context = createTestApp();
  const writes: string[] = [];
  // Feature modules declare the plumbing they rely on; Elysia dedupes the named plugin.
  const probe = new Elysia()
    .use(requestContext(context.log))
    .post("/api/probe", ({ body }) => {
      writes.push(body.value);
      return { ok: true };
    }, { body: t.Object({ value: t.String() }) })
    .post("/probe-form", () => {
      writes.push("form");
      return "ok";
    })
    .get("/api/boom", () => {
      throw new Error("secret internals");
    })
    .get("/boom", () => {
      throw new Error("secret internals");
    })
    // An answer its own schema does not allow: our bug, never the caller's 400, and never sent.
    .get("/api/leaky", () => ({ ok: true, token: "secret internals" }), { response: t.Object({ ok: t.Boolean() }) })
    .get("/api/auth/callback", ({ log }) => {
      log.info({}, "handler ran");
      return { ok: true };
    });
  context.app.use(probe);
  // API routes other than sign-in's need a session before their body is read: the probes are signed in.
  const { cookie } = signIn(context.database);
  const request = (path: string, init: RequestInit = {}) =>
    context.request(path, { ...init, headers: { cookie, ...(init.headers as Record<string, string> | undefined) } });
  return { ...context, request, writes };
}

describe("health and pages", () => {
  test("GET /health answers ok and is not logged", async () => {
    const { request, lines } = createTestApp();
    const response = await request("/health");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    await Bun.sleep(5);
    expect(lines.filter((line) => line.msg === "request")).toHaveLength(0);
  });

  test("pages are black, mobile-first HTML with their stylesheet", async () => {
    const { request } = createTestApp();
    const response = await request("/no-such-page");
    expect(response.headers.get("content-type")).toContain("text/html");
    const page = await response.text();
    expect(page.startsWith("<!doctype html>")).toBe(true);
    expect(page).toContain('<meta name="theme-color" content="#000000"/>');
    expect(page).toContain('name="viewport"');
    expect(page).toMatch(/href="\/assets\/style\.[a-z0-9]+\.css"/);
  });
});

describe("traceparent", () => {
  test("a valid incoming trace id is kept, echoed with a new span, and on the log line", async () => {
    const { request, lines } = appWithProbeRoutes();
    const response = await request("/api/auth/callback?code=SECRET&state=SECRET2", { headers: { traceparent: INCOMING } });
    const echoed = response.headers.get("traceparent")!;
    expect(echoed).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
    expect(echoed).not.toBe(INCOMING);
    await Bun.sleep(5);
    const handlerLine = lines.find((line) => line.msg === "handler ran");
    const requestLine = lines.find((line) => line.msg === "request");
    expect(handlerLine?.traceId).toBe(TRACE_ID);
    expect(requestLine).toMatchObject({ traceId: TRACE_ID, method: "GET", status: 200, path: "/api/auth/callback?[redacted]" });
    expect(typeof requestLine?.durationMs).toBe("number");
    expect(JSON.stringify(lines)).not.toContain("SECRET");
  });

  test("an invalid traceparent starts a fresh trace", async () => {
    const { request } = createTestApp();
    for (const bad of ["garbage", `00-${"0".repeat(32)}-00f067aa0ba902b7-01`, `ff-${TRACE_ID}-00f067aa0ba902b7-01`]) {
      const response = await request("/", { headers: { traceparent: bad } });
      const header = response.headers.get("traceparent")!;
      expect(header).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      expect(header).not.toContain(TRACE_ID);
    }
    expect(continueTrace(null).traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  test("cookies and authorization never reach the log", async () => {
    const { request, lines } = createTestApp();
    await request("/nope", { headers: { cookie: "sid=COOKIEVALUE", authorization: "Bearer AUTHVALUE" } });
    await Bun.sleep(5);
    const text = JSON.stringify(lines);
    expect(text).not.toContain("COOKIEVALUE");
    expect(text).not.toContain("AUTHVALUE");
    expect(lines.some((line) => line.msg === "request" && line.status === 404)).toBe(true);
  });

  test("only auth and integration query strings are redacted", () => {
    expect(loggedPath(`${BASE}/api/integrations/todoist/callback?code=x`)).toBe("/api/integrations/todoist/callback?[redacted]");
    expect(loggedPath(`${BASE}/setup?token=secret`)).toBe("/setup?[redacted]");
    expect(loggedPath(`${BASE}/setup-guide?page=2`)).toBe("/setup-guide?page=2");
    expect(loggedPath(`${BASE}/setup/?token=x`)).toBe("/setup/?[redacted]");
    expect(loggedPath(`${BASE}/connect?error=denied`)).toBe("/connect?error=denied");
    expect(loggedPath(`${BASE}/`)).toBe("/");
  });
});

describe("CSRF", () => {
  test("a cross-site POST is refused with 403 and changes nothing", async () => {
    const { request, writes } = appWithProbeRoutes();
    const attempts: Record<string, string>[] = [
      { origin: "https://evil.example" },
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site", origin: "https://sub.localhost" },
      { origin: "null" },
      // No Origin and no Sec-Fetch-Site (an old browser, a proxy that strips them): the Referer tells.
      { referer: "https://evil.example/page" },
      { referer: "not a url" },
    ];
    for (const headers of attempts) {
      const response = await request("/api/probe", {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ value: "x" }),
      });
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({ error: { code: "cross_origin", message: expect.any(String) } });
    }
    const form = await request("/probe-form", { method: "POST", headers: { origin: "https://evil.example" } });
    expect(form.status).toBe(403);
    expect(form.headers.get("content-type")).toContain("text/html");
    expect(writes).toEqual([]);
  });

  test("same-origin browsers and non-browser clients pass", async () => {
    const { request, writes } = appWithProbeRoutes();
    const allowed: Record<string, string>[] = [
      { origin: "http://localhost:3001" },
      { "sec-fetch-site": "same-origin", origin: "http://localhost:3001" },
      { referer: "http://localhost:3001/account" },
      {},
    ];
    for (const headers of allowed) {
      const response = await request("/api/probe", {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ value: "ok" }),
      });
      expect(response.status).toBe(200);
    }
    expect(writes).toEqual(["ok", "ok", "ok", "ok"]);
  });
});

describe("errors", () => {
  test("/api gets JSON errors with the right status; bad input is a 400 naming the field", async () => {
    const { request, writes } = appWithProbeRoutes();
    const notFound = await request("/api/missing");
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toEqual({ error: { code: "not_found", message: expect.any(String) } });

    const invalid = await request("/api/probe", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ value: 5 }),
    });
    expect(invalid.status).toBe(400);
    const body = await invalid.json();
    expect(body.error.code).toBe("invalid_request");
    expect(body.error.message).toContain("value");

    const unreadable = await request("/api/probe", { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" });
    expect(unreadable.status).toBe(400);
    expect((await unreadable.json()).error.code).toBe("invalid_body");
    expect(writes).toEqual([]);
  });

  test("pages get a readable HTML error page", async () => {
    const { request } = createTestApp();
    const response = await request("/no/such/page");
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toContain("text/html");
    const page = await response.text();
    expect(page).toContain("404");
    expect(page).toContain("Back to oO");
  });

  test("unexpected errors: a generic 500, no internals to the client, logged once with the trace id", async () => {
    const { request, lines } = appWithProbeRoutes();
    for (const path of ["/api/boom", "/boom", "/api/leaky"]) {
      const response = await request(path, { headers: { traceparent: INCOMING } });
      expect(response.status).toBe(500);
      const text = await response.text();
      expect(text).not.toContain("secret internals");
      expect(text).not.toContain("at ");
    }
    await Bun.sleep(5);
    const errorLines = lines.filter((line) => line.msg === "unhandled error");
    expect(errorLines).toHaveLength(3);
    expect(errorLines.every((line) => line.traceId === TRACE_ID)).toBe(true);
  });
});

describe("CORS", () => {
  test("only WEB_BASE_URL gets CORS headers", async () => {
    const { request } = createTestApp({ WEB_BASE_URL: "https://app.example" });
    const preflight = await request("/api/anything", {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(preflight.headers.get("access-control-allow-credentials")).toBe("true");
    const other = await request("/health", { headers: { origin: "https://evil.example" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("static files", () => {
  test("hashed assets are immutable and gzip when asked; fixed names revalidate by ETag, one per encoding", async () => {
    const { request } = createTestApp();
    const page = await (await request("/no-such-page")).text();
    const cssUrl = /href="(\/assets\/style\.[a-z0-9]+\.css)"/.exec(page)![1]!;
    const css = await request(cssUrl, { headers: { "accept-encoding": "gzip" } });
    expect(css.status).toBe(200);
    expect(css.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(css.headers.get("content-encoding")).toBe("gzip");
    expect(css.headers.get("content-type")).toContain("text/css");

    const manifest = await request("/manifest.webmanifest");
    expect(manifest.headers.get("cache-control")).toContain("must-revalidate");
    expect((await manifest.json()).theme_color).toBe("#000000");
    const etag = manifest.headers.get("etag")!;
    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
      expect((await request("/manifest.webmanifest", { headers: { "if-none-match": ifNoneMatch } })).status).toBe(304);
    }
    expect((await request("/manifest.webmanifest", { headers: { "if-none-match": '"other"' } })).status).toBe(200);
    // The gzipped bytes are another representation: they have a tag of their own.
    const gzipped = await request("/manifest.webmanifest", { headers: { "accept-encoding": "gzip" } });
    expect(gzipped.headers.get("content-encoding")).toBe("gzip");
    expect(gzipped.headers.get("etag")).not.toBe(etag);
    const plainAfterGzip = await request("/manifest.webmanifest", { headers: { "if-none-match": gzipped.headers.get("etag")! } });
    expect(plainAfterGzip.status).toBe(200);
    expect((await plainAfterGzip.json()).theme_color).toBe("#000000");
    const gzipRevalidated = await request("/manifest.webmanifest", { headers: { "accept-encoding": "gzip", "if-none-match": gzipped.headers.get("etag")! } });
    expect(gzipRevalidated.status).toBe(304);

    const icon = await request("/icon-512.png");
    expect(icon.headers.get("content-type")).toBe("image/png");
    expect(new Uint8Array(await icon.arrayBuffer()).slice(1, 4)).toEqual(new TextEncoder().encode("PNG"));
  });

  test("every icon and screenshot the manifest lists is served as the PNG it says, and each icon has one purpose", async () => {
    const { request } = createTestApp();
    const manifest = (await (await request("/manifest.webmanifest")).json()) as {
      icons: { src: string; sizes: string; type: string; purpose: string }[];
      screenshots: { src: string; sizes: string; type: string; form_factor: string; label: string }[];
    };
    /** Width×height from the PNG's IHDR chunk. */
    const pngSize = async (src: string) => {
      const response = await request(src);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("image/png");
      const bytes = new Uint8Array(await response.arrayBuffer());
      expect(bytes.slice(1, 4)).toEqual(new TextEncoder().encode("PNG"));
      const view = new DataView(bytes.buffer);
      return `${view.getUint32(16)}x${view.getUint32(20)}`;
    };
    // A maskable icon keeps its mark in the central safe zone and an "any" icon does not pad that much:
    // one image cannot be both, so each purpose is exactly one of the two, and both are there.
    for (const icon of manifest.icons) {
      expect(["any", "maskable"]).toContain(icon.purpose);
      expect(icon.type).toBe("image/png");
      expect(await pngSize(icon.src)).toBe(icon.sizes);
    }
    for (const purpose of ["any", "maskable"]) {
      expect(manifest.icons.filter((icon) => icon.purpose === purpose).map((icon) => icon.sizes).sort()).toEqual(["192x192", "512x512"]);
    }
    expect(manifest.screenshots.map((shot) => shot.form_factor).sort()).toEqual(["narrow", "wide"]);
    for (const shot of manifest.screenshots) {
      expect(shot.type).toBe("image/png");
      expect(shot.label).not.toBe("");
      expect(await pngSize(shot.src)).toBe(shot.sizes);
    }
  });

  test("serving static files writes nothing to the events table", async () => {
    const { request, database } = createTestApp();
    await request("/manifest.webmanifest");
    await request("/favicon.ico");
    expect(database.db.select().from(events).all()).toEqual([]);
  });
});
