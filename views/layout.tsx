import type { PropsWithChildren } from "@kitajs/html";
import { assetUrl } from "../src/http/static.ts";

/**
 * htmx 4 swaps error answers by default: a proxy's 502 page would replace the tip. They are not
 * swapped here (the page's script says what failed), and a request that hangs gives up after 10 s.
 */
const HTMX_CONFIG = JSON.stringify({ noSwap: [204, 304, "4xx", "5xx"], defaultTimeout: 10_000 });

export type LayoutProps = PropsWithChildren<{
  title?: string;
  /** Pages that need htmx opt in; the rest ship no script at all. */
  htmx?: boolean;
  /** Page scripts (asset URLs), loaded deferred after htmx. */
  scripts?: string[];
  bodyClass?: string;
}>;

export function Layout({ title, htmx, scripts = [], bodyClass, children }: LayoutProps) {
  return (
    <>
      {"<!doctype html>"}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover" />
          <meta name="theme-color" content="#000000" />
          <meta name="color-scheme" content="dark" />
          <title>{title ? `${title} · oO` : "oO"}</title>
          <link rel="stylesheet" href={assetUrl("style.css")} />
          <link rel="icon" href="/favicon.ico" sizes="32x32" />
          <link rel="apple-touch-icon" href="/apple-touch-icon.png" />
          <link rel="manifest" href="/manifest.webmanifest" />
          {htmx ? <meta name="htmx-config" content={HTMX_CONFIG} /> : ""}
          {htmx ? <script src={assetUrl("htmx.js")} defer></script> : ""}
          {scripts.map((src) => (
            <script src={src} defer></script>
          ))}
        </head>
        <body class={bodyClass}>{children}</body>
      </html>
    </>
  );
}

/** The way back to the tip, at the top of every other page: installed as an app, there is no browser back button. */
export function BackToTip() {
  return (
    <nav class="back" aria-label="Back">
      <a href="/">← Your tip</a>
    </nav>
  );
}

export function Footer() {
  return (
    <footer>
      <a href="/legal/terms">Terms</a>
      <a href="/legal/privacy">Privacy</a>
    </footer>
  );
}
