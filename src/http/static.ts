import { readFileSync } from "node:fs";
import { Elysia } from "elysia";
import htmxPath from "htmx.org/dist/htmx.min.js" with { type: "file" };
import appleTouchIconPath from "../../views/public/apple-touch-icon.png" with { type: "file" };
import faviconPath from "../../views/public/favicon.ico" with { type: "file" };
import icon192Path from "../../views/public/icon-192.png" with { type: "file" };
import icon512Path from "../../views/public/icon-512.png" with { type: "file" };
import iconMaskable192Path from "../../views/public/icon-maskable-192.png" with { type: "file" };
import iconMaskable512Path from "../../views/public/icon-maskable-512.png" with { type: "file" };
import manifestPath from "../../views/public/manifest.webmanifest" with { type: "file" };
import screenshotNarrowPath from "../../views/public/screenshot-narrow.png" with { type: "file" };
import screenshotWidePath from "../../views/public/screenshot-wide.png" with { type: "file" };
import stylePath from "../../views/public/style.css" with { type: "file" };
import serviceWorkerPath from "../../views/public/sw.js" with { type: "file" };
import tipScriptPath from "../../views/public/tip.js" with { type: "file" };
import pushScriptPath from "../../views/public/push.js" with { type: "file" };
import adminScriptPath from "../../views/public/admin.js" with { type: "file" };
import badgePath from "../../views/public/badge-72.png" with { type: "file" };

/**
 * Static files live inside the executable (imported `with { type: "file" }`), so they are served by
 * explicit routes rather than from a directory. Versioned assets get content-hashed names and are
 * immutable; fixed names (favicon, manifest, icons, screenshots) revalidate by ETag.
 */
interface Asset {
  url: string;
  type: string;
  body: Uint8Array<ArrayBuffer>;
  etag: string;
  /** Each encoding is a representation of its own, so the gzipped bytes have a strong tag of their own. */
  gzipEtag: string;
  cacheControl: string;
  gzipped?: Uint8Array<ArrayBuffer>;
}

const IMMUTABLE = "public, max-age=31536000, immutable";
const REVALIDATE = "public, max-age=3600, must-revalidate";
/** A service worker must always be checked, or a fix could take a day to reach people. */
const NO_CACHE = "no-cache";
const COMPRESSIBLE = /^(text\/|application\/(javascript|json|manifest\+json))/;

function load(path: string, type: string, publicName: string, versioned: boolean, cacheControl = versioned ? IMMUTABLE : REVALIDATE): Asset {
  const body = new Uint8Array(readFileSync(path));
  const hash = Bun.hash(body).toString(36).slice(0, 10);
  const dot = publicName.lastIndexOf(".");
  const url = versioned ? `/assets/${publicName.slice(0, dot)}.${hash}${publicName.slice(dot)}` : `/${publicName}`;
  return { url, type, body, etag: `"${hash}"`, gzipEtag: `"${hash}-gzip"`, cacheControl };
}

const assets = {
  "style.css": load(stylePath, "text/css; charset=utf-8", "style.css", true),
  "htmx.js": load(htmxPath, "text/javascript; charset=utf-8", "htmx.js", true),
  "tip.js": load(tipScriptPath, "text/javascript; charset=utf-8", "tip.js", true),
  "push.js": load(pushScriptPath, "text/javascript; charset=utf-8", "push.js", true),
  "admin.js": load(adminScriptPath, "text/javascript; charset=utf-8", "admin.js", true),
  "badge-72.png": load(badgePath, "image/png", "badge-72.png", false),
  "sw.js": load(serviceWorkerPath, "text/javascript; charset=utf-8", "sw.js", false, NO_CACHE),
  "favicon.ico": load(faviconPath, "image/x-icon", "favicon.ico", false),
  "manifest.webmanifest": load(manifestPath, "application/manifest+json", "manifest.webmanifest", false),
  "icon-192.png": load(icon192Path, "image/png", "icon-192.png", false),
  "icon-512.png": load(icon512Path, "image/png", "icon-512.png", false),
  "icon-maskable-192.png": load(iconMaskable192Path, "image/png", "icon-maskable-192.png", false),
  "icon-maskable-512.png": load(iconMaskable512Path, "image/png", "icon-maskable-512.png", false),
  "screenshot-narrow.png": load(screenshotNarrowPath, "image/png", "screenshot-narrow.png", false),
  "screenshot-wide.png": load(screenshotWidePath, "image/png", "screenshot-wide.png", false),
  "apple-touch-icon.png": load(appleTouchIconPath, "image/png", "apple-touch-icon.png", false),
} satisfies Record<string, Asset>;

export type AssetName = keyof typeof assets;

const assetUrls = new Set(Object.values(assets).map((asset) => asset.url));

/** True for the URLs this module serves, which are not worth a log line each. */
export const isStaticPath = (path: string) => assetUrls.has(path);

/** The URL to reference an asset by in pages (hashed for versioned assets). */
export const assetUrl = (name: AssetName): string => assets[name].url;

/** If-None-Match lists tags and compares them weakly: `W/"x"` matches `"x"`, and `*` matches any. */
function matchesAny(ifNoneMatch: string | null, etag: string): boolean {
  if (ifNoneMatch === null) return false;
  return ifNoneMatch.split(",").some((tag) => {
    const trimmed = tag.trim();
    return trimmed === "*" || (trimmed.startsWith("W/") ? trimmed.slice(2) : trimmed) === etag;
  });
}

function respond(asset: Asset, request: Request): Response {
  const gzip = COMPRESSIBLE.test(asset.type) && /\bgzip\b/.test(request.headers.get("accept-encoding") ?? "");
  const etag = gzip ? asset.gzipEtag : asset.etag;
  const headers: Record<string, string> = {
    "content-type": asset.type,
    "cache-control": asset.cacheControl,
    etag,
    vary: "Accept-Encoding",
  };
  if (matchesAny(request.headers.get("if-none-match"), etag)) return new Response(null, { status: 304, headers });
  if (!gzip) return new Response(asset.body, { headers });
  asset.gzipped ??= Bun.gzipSync(asset.body, { level: 9 });
  return new Response(asset.gzipped, { headers: { ...headers, "content-encoding": "gzip" } });
}

export function staticFiles() {
  const app = new Elysia({ name: "http.static" });
  for (const asset of Object.values(assets) as Asset[]) {
    app.get(asset.url, ({ request }) => respond(asset, request));
  }
  return app;
}
