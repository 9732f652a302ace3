import type { PropsWithChildren } from "@kitajs/html";
import { type AssetName, assetUrl } from "../../src/http/static.ts";
import { BackToTip, Layout } from "../layout.tsx";

/** The console's pages, in the order its menu shows them. */
const PAGES = [
  { path: "/admin", title: "Overview" },
  { path: "/admin/health", title: "Health" },
  { path: "/admin/users", title: "People" },
  { path: "/admin/data-quality", title: "Data quality" },
  { path: "/admin/events", title: "Events" },
  { path: "/admin/jobs", title: "Jobs" },
  { path: "/admin/logs", title: "Logs" },
  { path: "/admin/sql", title: "SQL" },
  { path: "/admin/backups", title: "Backups" },
  { path: "/admin/audit", title: "Audit log" },
  { path: "/admin/settings", title: "Settings" },
  { path: "/admin/docs", title: "Docs" },
] as const;

/** Every console page: its menu, the page's title, and the way back to the tip. */
export function AdminLayout({
  title,
  path,
  personal = false,
  htmx = false,
  scripts = [],
  children,
}: PropsWithChildren<{ title: string; path: string; personal?: boolean; htmx?: boolean; scripts?: AssetName[] }>) {
  return (
    <Layout title={`${title} · Admin`} bodyClass="admin" htmx={htmx} scripts={scripts.map(assetUrl)}>
      {/* A page with someone's data stays out of htmx's history cache. */}
      <main class="admin-main" hx-history={personal ? "false" : undefined}>
        <BackToTip />
        <nav class="admin-menu" aria-label="Console">
          {PAGES.map((page) => (
            <a href={page.path} aria-current={page.path === path ? "page" : undefined}>
              {page.title}
            </a>
          ))}
        </nav>
        <h1 safe>{title}</h1>
        {children}
      </main>
    </Layout>
  );
}

/** One figure with its label, and a line under it when it needs one. */
export function StatCard({ label, value, note }: { label: string; value: string; note?: string }) {
  return (
    <div class="stat">
      <p class="stat-value" safe>
        {value}
      </p>
      <p class="stat-label" safe>
        {label}
      </p>
      {note ? (
        <p class="stat-note" safe>
          {note}
        </p>
      ) : (
        ""
      )}
    </div>
  );
}

export interface BarSeries {
  name: string;
  /** A CSS class giving the series its shade (`series-tips`, `series-<reaction>`: views/public/style.css). */
  shade: string;
  values: number[];
}

/**
 * A bar chart drawn on the server as SVG: one bar per label, its series stacked. The numbers are
 * also in the accessible description and each bar's tooltip, so nothing is only a shape.
 */
export function BarChart({ title, labels, series }: { title: string; labels: string[]; series: BarSeries[] }) {
  const width = 600;
  const height = 160;
  const totals = labels.map((_, index) => series.reduce((sum, one) => sum + one.values[index]!, 0));
  const top = Math.max(1, ...totals);
  const slot = width / Math.max(1, labels.length);
  const bar = Math.max(1, slot * 0.7);
  const described = labels.map((label, index) => `${label}: ${totals[index]}`).join(", ");
  return (
    <figure class="chart">
      <figcaption safe>{title}</figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`${title}. ${described}`} preserveAspectRatio="none">
        {labels.map((label, index) => {
          let y = height;
          return (
            <g>
              <title safe>{`${label}: ${series.map((one) => `${one.name} ${one.values[index]}`).join(", ")}`}</title>
              {series.map((one) => {
                const size = (one.values[index]! / top) * (height - 4);
                y -= size;
                return size > 0 ? <rect class={one.shade} x={(index * slot + (slot - bar) / 2).toFixed(1)} y={y.toFixed(1)} width={bar.toFixed(1)} height={size.toFixed(1)} /> : "";
              })}
            </g>
          );
        })}
      </svg>
      {/* Outside the SVG, which stretches to the width: text inside it would stretch too. */}
      <p class="axis" aria-hidden="true">
        <span safe>{labels[0] ?? ""}</span>
        <span safe>{`highest ${Math.max(0, ...totals)}`}</span>
        <span safe>{labels.at(-1) ?? ""}</span>
      </p>
      {series.length > 1 ? (
        <ul class="legend">
          {series.map((one) => (
            <li>
              <span class={`swatch ${one.shade}`} aria-hidden="true"></span>
              <span safe>{one.name}</span>
            </li>
          ))}
        </ul>
      ) : (
        ""
      )}
    </figure>
  );
}

/** A link to the next page of a list, when there is one; the list's filters travel with it. */
export function NextPage({ path, params }: { path: string; params: Record<string, string | number | undefined> | null }) {
  if (!params) return "";
  const query = new URLSearchParams(Object.entries(params).flatMap(([key, value]) => (value === undefined || value === "" ? [] : [[key, String(value)]])));
  return (
    <p class="pager">
      <a href={`${path}?${query}`}>Next page</a>
    </p>
  );
}

/** A time as the console shows it: UTC, to the minute. */
export const utc = (ms: number | null) => (ms === null ? "—" : `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`);

/** A time in a table cell (to the second for a log line): it may wrap between the date and the time, never inside the date. */
export function When({ ms, seconds = false }: { ms: number | null; seconds?: boolean }) {
  if (ms === null || Number.isNaN(ms)) return "—";
  const [date, minutes] = utc(ms).split(" ", 2);
  const time = seconds ? new Date(ms).toISOString().slice(11, 19) : minutes;
  return (
    <time datetime={new Date(ms).toISOString()}>
      <span class="nowrap" safe>
        {date}
      </span>{" "}
      <span class="nowrap" safe>{`${time} UTC`}</span>
    </time>
  );
}

/** A table wider than a phone: it scrolls sideways on its own, and the keyboard can scroll it too. */
export function WideTable({ label, children }: PropsWithChildren<{ label: string }>) {
  return (
    <div class="table-scroll" role="region" aria-label={label} tabindex="0">
      {children}
    </div>
  );
}

/** A line saying what was just done (a status) or what went wrong (an alert); nothing without text. */
export function Notice({ text, alert = false }: { text?: string | null; alert?: boolean }) {
  if (!text) return "";
  return (
    <p class="notice" role={alert ? "alert" : "status"} safe>
      {text}
    </p>
  );
}
