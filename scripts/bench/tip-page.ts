/**
 * The tip page as a person gets it, in one run (about a minute and a half; bounded at 3):
 *  1. page weight: `/` (signed in) plus every stylesheet and script it loads, found in its
 *     `<link rel=stylesheet>` and `<script src>`, each counted gzipped: the bytes the server sends
 *     when it compresses (static files do, with Accept-Encoding: gzip), else Bun.gzipSync level 9
 *     (what a compressing proxy in front would send);
 *  2. action → next tip: headless Chromium at 390×844, signed in; open the sheet (`#tip summary`),
 *     click Snooze (`#tip button[value=snooze]`), and time in the page from the click event to the
 *     DOM mutation that gives `#tip` a new data-tip-id (median and p95 of --actions, default 40);
 *  3. Lighthouse 12.2.3 (through npx; mobile emulation, its default) performance and
 *     accessibility scores of `/` signed in (a second person, who has not acted), each the median
 *     of 3 runs. Skipped, with the reason, when it cannot run.
 * The server is the current source (`bun src/main.ts`, so a change to a view is measured without a
 * build) or dist/oo with --dist, on a fresh database in a temporary DATA_DIR, with the python3
 * scorer when there is one; each person has a confirmed time zone and 60 open tasks, so every
 * snooze has a next tip. A missed target prints MISS and still exits 0.
 * Usage: bun scripts/bench/tip-page.ts [--actions 40] [--dist] [--lighthouse-runs 3] [--no-lighthouse]
 *        [--lighthouse-report prefix] (keeps each run's JSON report as prefix-N.json)
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { SessionStore } from "../../src/auth/service.ts";
import { openDatabase } from "../../src/db/client.ts";
import { tasks, users } from "../../src/db/schema.ts";
import { CHROMIUM_PATH, launchBrowser } from "../../src/testing/browser.ts";
import { freePort, median, numberOption, root, stop, stringOption, table, tempDir, waitFor200 } from "./lib.ts";

const TARGETS = { weightKb: 30, actionMedianMs: 100, lighthouse: 100 };
const LIGHTHOUSE = "lighthouse@12.2.3";
const VIEWPORT = { width: 390, height: 844 };
/** The page ignores keys for 400 ms after a tip appears; clicks are not, but each action waits this long anyway. */
const BETWEEN_ACTIONS_MS = 500;
/** One action gets this long to swap in the next tip before it counts as failed. */
const ACTION_TIMEOUT_MS = 5_000;
const DEADLINE_MS = 170_000;

const actionCount = numberOption("actions", 40);
const useDist = process.argv.includes("--dist");
const runLighthouse = !process.argv.includes("--no-lighthouse");
const lighthouseRuns = numberOption("lighthouse-runs", 3);
const started = performance.now();
const remainingMs = () => DEADLINE_MS - (performance.now() - started);

const data = tempDir("oo-bench-tip-page-");
const children: Subprocess[] = [];
// The run is bounded whatever hangs: past the deadline, stop what was started and leave.
const watchdog = setTimeout(() => {
  console.error(`tip-page benchmark: still running after ${DEADLINE_MS / 1000} s, stopping`);
  for (const child of children) child.kill("SIGKILL");
  data.cleanup();
  process.exit(1);
}, DEADLINE_MS + 8_000);

function startServer(port: number): Subprocess {
  const binary = join(root, "dist", "oo");
  if (useDist && !existsSync(binary)) throw new Error("dist/oo is missing: run `bun run build` first, or leave out --dist");
  const command = useDist ? [binary] : [process.execPath, join(root, "src", "main.ts")];
  const child = Bun.spawn(command, {
    cwd: root,
    env: { PATH: process.env.PATH!, PORT: String(port), HOST: "127.0.0.1", DATA_DIR: data.path, LOG_LEVEL: "warn" },
    // Its log (JSON lines, warnings and errors only) goes with the report.
    stdout: "inherit",
    stderr: "inherit",
  });
  children.push(child);
  return child;
}

/** A person with a confirmed time zone (no first-visit detection on the page), open tasks, and a session. */
function signInWithTasks(taskCount: number): string {
  const database = openDatabase(join(data.path, "oo.db"));
  const now = Date.now();
  const day = 86_400_000;
  const userId = crypto.randomUUID();
  database.db
    .insert(users)
    .values({ id: userId, email: `bench-${userId.slice(0, 8)}@example.test`, name: "Bench", timezone: "UTC", timezoneConfirmed: true, createdAt: now, updatedAt: now })
    .run();
  for (let t = 0; t < taskCount; t++) {
    const dueDays = (t % 7) - 3;
    database.db
      .insert(tasks)
      .values({
        userId,
        provider: "todoist",
        externalId: `bench-${t}`,
        content: `Task ${t}: write the next paragraph of the report`,
        priority: (t % 4) + 1,
        ...(t % 3 === 0 ? {} : { dueKind: "date" as const, dueValue: new Date(now + dueDays * day).toISOString().slice(0, 10) }),
        addedAt: now - (t % 30) * day,
        updatedAt: now - day,
        syncedAt: now,
      })
      .run();
  }
  const { token } = new SessionStore(database.db).create(userId, "user");
  database.sqlite.close();
  return token;
}

interface Resource {
  url: string;
  raw: number;
  gzipped: number;
  /** "server": the gzipped bytes the server sent; "gzip -9": it sent them plain, so Bun.gzipSync level 9. */
  how: "server" | "gzip -9";
}

async function weigh(url: string, cookie: string): Promise<Resource> {
  const response = await fetch(url, { headers: { cookie, "accept-encoding": "gzip" }, decompress: false });
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
  const bytes = await response.bytes();
  const path = new URL(url).pathname;
  if (response.headers.get("content-encoding") === "gzip") return { url: path, raw: Bun.gunzipSync(bytes).length, gzipped: bytes.length, how: "server" };
  return { url: path, raw: bytes.length, gzipped: Bun.gzipSync(bytes, { level: 9 }).length, how: "gzip -9" };
}

/** `/` and every stylesheet and script its HTML loads. */
async function pageWeight(base: string, cookie: string): Promise<Resource[]> {
  const html = await (await fetch(`${base}/`, { headers: { cookie } })).text();
  const attribute = (tag: string, name: string) => new RegExp(`\\b${name}\\s*=\\s*["']([^"']+)["']`, "i").exec(tag)?.[1];
  const stylesheets = [...html.matchAll(/<link\b[^>]*>/gi)]
    .map(([tag]) => tag)
    .filter((tag) => /\brel\s*=\s*["']?stylesheet\b/i.test(tag))
    .map((tag) => attribute(tag, "href"));
  const scripts = [...html.matchAll(/<script\b[^>]*>/gi)].map(([tag]) => attribute(tag, "src"));
  const urls = [...new Set([...stylesheets, ...scripts].filter((url): url is string => url !== undefined))];
  return [await weigh(`${base}/`, cookie), ...(await Promise.all(urls.map((url) => weigh(new URL(url, base).href, cookie))))];
}

interface ActionTiming {
  /** Click event to the mutation that put a new data-tip-id on #tip. */
  swapMs: number;
  /** Click event to the frame after it (a double requestAnimationFrame): roughly when it is on screen. */
  paintMs: number;
}

async function actionToNextTip(base: string, token: string): Promise<{ timings: ActionTiming[]; failures: string[] }> {
  const browser = await launchBrowser();
  const timings: ActionTiming[] = [];
  const failures: string[] = [];
  try {
    const page = await browser.newPage({ viewport: VIEWPORT });
    await page.context().addCookies([{ name: "sid", value: token, url: base }]);
    await page.goto(`${base}/`);
    await page.waitForFunction(() => "htmx" in window);
    await page.waitForLoadState("networkidle");
    // One action first, not recorded: the JIT, the scorer child and the browser's caches warm up.
    for (let action = -1; action < actionCount && failures.length < 3; action++) {
      // Leave room for Lighthouse.
      if (remainingMs() < (runLighthouse ? 90_000 : 20_000)) {
        failures.push(`stopped after ${action} actions to stay within ${DEADLINE_MS / 1000} s`);
        break;
      }
      try {
        await page.locator("#tip summary").first().click({ timeout: ACTION_TIMEOUT_MS });
        const snooze = page.locator("#tip button[value=snooze]");
        await snooze.waitFor({ state: "visible", timeout: ACTION_TIMEOUT_MS });
        // Armed before the click: the click's own timestamp, and the mutation that swaps the tip.
        await page.evaluate(() => {
          const before = document.querySelector("#tip")?.getAttribute("data-tip-id");
          const state = { clickAt: Number.NaN, swappedAt: Number.NaN, paintedAt: Number.NaN };
          const bench = window as unknown as { benchState: typeof state; benchDone: Promise<void> };
          bench.benchState = state;
          addEventListener("click", (event) => (state.clickAt = event.timeStamp), { capture: true, once: true });
          bench.benchDone = new Promise<void>((resolve) => {
            const observer = new MutationObserver(() => {
              const now = document.querySelector("#tip[data-tip-id]")?.getAttribute("data-tip-id");
              if (!now || now === before) return;
              state.swappedAt = performance.now();
              observer.disconnect();
              requestAnimationFrame(() =>
                requestAnimationFrame(() => {
                  state.paintedAt = performance.now();
                  resolve();
                }),
              );
            });
            observer.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-tip-id"] });
          });
        });
        await snooze.click({ timeout: ACTION_TIMEOUT_MS });
        const state = await page.evaluate(async (timeoutMs) => {
          const bench = window as unknown as { benchState: { clickAt: number; swappedAt: number; paintedAt: number }; benchDone: Promise<void> };
          await Promise.race([bench.benchDone, new Promise((resolve) => setTimeout(resolve, timeoutMs))]);
          return bench.benchState;
        }, ACTION_TIMEOUT_MS);
        if (Number.isNaN(state.swappedAt)) throw new Error(`no new tip within ${ACTION_TIMEOUT_MS} ms`);
        if (action >= 0) timings.push({ swapMs: state.swappedAt - state.clickAt, paintMs: state.paintedAt - state.clickAt });
      } catch (error) {
        failures.push(`action ${action + 1}: ${(error as Error).message.split("\n")[0]}`);
        await page.goto(`${base}/`).catch(() => {});
      }
      await Bun.sleep(BETWEEN_ACTIONS_MS);
    }
  } finally {
    await browser.close();
  }
  return { timings, failures };
}

interface LighthouseRun {
  performance: number;
  accessibility: number;
  metrics: string;
  /** The weighted audits that held a score below 100. */
  problems: string[];
}
type LighthouseResult =
  | { runs: LighthouseRun[]; performance: number; accessibility: number; medianRun: LighthouseRun; skipped?: string }
  | { skipped: string };

/** One Lighthouse run, or why it could not run. */
async function lighthouseOnce(base: string, token: string, index: number): Promise<LighthouseRun | string> {
  const report = join(data.path, `lighthouse-${index}.json`);
  // Each run must leave room for the rest of the report.
  const timeoutMs = Math.max(10_000, remainingMs() - 5_000);
  const child = Bun.spawn(
    [
      "npx",
      "--yes",
      LIGHTHOUSE,
      `${base}/`,
      `--chrome-path=${CHROMIUM_PATH}`,
      "--chrome-flags=--headless --no-sandbox --disable-gpu",
      "--only-categories=performance,accessibility",
      `--extra-headers=${JSON.stringify({ Cookie: `sid=${token}` })}`,
      "--output=json",
      `--output-path=${report}`,
      "--quiet",
    ],
    { cwd: data.path, stdout: "pipe", stderr: "pipe" },
  );
  children.push(child);
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const [stderr, exitCode] = await Promise.all([new Response(child.stderr).text(), child.exited, new Response(child.stdout).text()]);
  clearTimeout(timer);
  if (child.signalCode === "SIGKILL") return `${LIGHTHOUSE} did not finish within ${Math.round(timeoutMs / 1000)} s`;
  if (exitCode !== 0 || !existsSync(report)) return `${LIGHTHOUSE} failed (exit ${exitCode}): ${stderr.trim().split("\n").slice(-3).join(" / ") || "no output"}`;
  type Audit = { score: number | null; displayValue?: string; title: string };
  const result = (await Bun.file(report).json()) as {
    finalDisplayedUrl: string;
    runtimeError?: { message: string };
    categories: Record<string, { score: number | null; auditRefs: { id: string; weight: number }[] }>;
    audits: Record<string, Audit>;
  };
  if (process.argv.includes("--lighthouse-report")) await Bun.write(stringOption("lighthouse-report").replace(/(\.json)?$/, `-${index}.json`), Bun.file(report));
  if (result.runtimeError) return `${LIGHTHOUSE} could not load the page: ${result.runtimeError.message}`;
  if (new URL(result.finalDisplayedUrl).pathname !== "/") return `${LIGHTHOUSE} ended on ${result.finalDisplayedUrl}, not the tip page (was the cookie sent?)`;
  const score = (category: string) => Math.round((result.categories[category]?.score ?? 0) * 100);
  const metrics = ["first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift", "speed-index"]
    .map((id) => `${result.audits[id]?.title ?? id} ${result.audits[id]?.displayValue ?? "?"}`)
    .join(", ");
  const problems = ["performance", "accessibility"].flatMap((category) =>
    (result.categories[category]?.auditRefs ?? []).flatMap((ref) => {
      const audit = result.audits[ref.id];
      if (ref.weight === 0 || !audit || audit.score === null || audit.score >= 1) return [];
      return [`${category}: ${audit.title} (${audit.displayValue ?? `score ${audit.score}`})`];
    }),
  );
  return { performance: score("performance"), accessibility: score("accessibility"), metrics, problems };
}

/**
 * --lighthouse-runs runs (default 3; Lighthouse's own advice for a score that varies from run to
 * run, and on a shared machine it does): the median of each score, and the timings of the run with
 * the median performance score.
 */
async function lighthouse(base: string, token: string): Promise<LighthouseResult> {
  if (!runLighthouse) return { skipped: "--no-lighthouse" };
  if (!Bun.which("npx")) return { skipped: "npx is not installed (Node.js and npm are needed)" };
  const node = Bun.spawnSync(["node", "--version"]).stdout.toString().trim();
  const major = Number(/^v(\d+)/.exec(node)?.[1]);
  if (!(major >= 18)) return { skipped: `${LIGHTHOUSE} needs Node.js 18.20 or later, found ${node || "none"}` };
  const runs: LighthouseRun[] = [];
  let stoppedEarly: string | undefined;
  for (let index = 0; index < lighthouseRuns; index++) {
    // A run takes 15–30 s here; do not start one that the deadline would cut short.
    if (index > 0 && remainingMs() < 45_000) {
      stoppedEarly = `${index} of ${lighthouseRuns} Lighthouse runs, to stay within ${DEADLINE_MS / 1000} s`;
      break;
    }
    const run = await lighthouseOnce(base, token, index);
    if (typeof run === "string") {
      if (runs.length === 0) return { skipped: run };
      stoppedEarly = run;
      break;
    }
    runs.push(run);
  }
  const medianRun = runs.toSorted((a, b) => a.performance - b.performance)[Math.floor((runs.length - 1) / 2)]!;
  return {
    runs,
    performance: median(runs.map((run) => run.performance)),
    accessibility: median(runs.map((run) => run.accessibility)),
    medianRun,
    ...(stoppedEarly ? { skipped: stoppedEarly } : {}),
  };
}

const percentile = (values: number[], p: number) => {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const verdict = (pass: boolean) => (pass ? "PASS" : "MISS");

const port = freePort();
const base = `http://127.0.0.1:${port}`;
const server = startServer(port);
try {
  await waitFor200(`${base}/health`, 30_000);
  const token = signInWithTasks(60);
  // Lighthouse gets a person of its own, who has not acted yet: every run sees the same first visit,
  // not whatever the snoozes left on screen (an undo offer, say).
  const lighthouseToken = signInWithTasks(60);
  const cookie = `sid=${token}`;

  const resources = await pageWeight(base, cookie);
  const totalKb = resources.reduce((sum, resource) => sum + resource.gzipped, 0) / 1024;
  const { timings, failures } = await actionToNextTip(base, token);
  const lighthouseResult = await lighthouse(base, lighthouseToken);
  await stop(server);

  console.log(`\ntip page benchmark (${useDist ? "dist/oo" : "bun src/main.ts"}, ${Math.round((performance.now() - started) / 1000)} s)\n`);
  console.log("page weight, gzipped:");
  table([
    ["resource", "bytes", "gzipped", "gzip by"],
    ...resources.map((resource) => [resource.url, String(resource.raw), String(resource.gzipped), resource.how]),
  ]);
  const swaps = timings.map((timing) => timing.swapMs);
  const paints = timings.map((timing) => timing.paintMs);
  console.log(
    `\naction → next tip: ${timings.length} snoozes at ${VIEWPORT.width}×${VIEWPORT.height}` +
      (timings.length ? `; swap min ${Math.min(...swaps).toFixed(1)} ms, max ${Math.max(...swaps).toFixed(1)} ms; to the next frame median ${median(paints).toFixed(1)} ms, p95 ${percentile(paints, 95).toFixed(1)} ms` : ""),
  );
  for (const failure of failures) console.log(`  ${failure}`);
  if (!("runs" in lighthouseResult)) console.log(`\nLighthouse skipped: ${lighthouseResult.skipped}`);
  else {
    const { runs, medianRun } = lighthouseResult;
    console.log(
      `\nLighthouse ${LIGHTHOUSE.split("@")[1]} (mobile), ${runs.length} runs: performance ${runs.map((run) => run.performance).join(", ")}; ` +
        `accessibility ${runs.map((run) => run.accessibility).join(", ")}`,
    );
    if (lighthouseResult.skipped) console.log(`  stopped early: ${lighthouseResult.skipped}`);
    console.log(`  median run: ${medianRun.metrics}`);
    const problems = new Map<string, number>();
    for (const problem of runs.flatMap((run) => run.problems)) problems.set(problem.replace(/ \(.*\)$/, ""), (problems.get(problem.replace(/ \(.*\)$/, "")) ?? 0) + 1);
    for (const [problem, count] of problems) console.log(`  below full marks in ${count} of ${runs.length} runs: ${problem}`);
  }
  console.log("");
  const rows = [
    ["figure", "measured", "target", "result"],
    [`page weight: / + ${resources.length - 1} stylesheets and scripts, gzipped`, `${totalKb.toFixed(1)} KB`, `≤ ${TARGETS.weightKb} KB`, verdict(totalKb <= TARGETS.weightKb)],
    timings.length
      ? [
          `action → next tip (snooze, ${timings.length} actions)`,
          `median ${median(swaps).toFixed(1)} ms, p95 ${percentile(swaps, 95).toFixed(1)} ms`,
          `median ≤ ${TARGETS.actionMedianMs} ms`,
          verdict(median(swaps) <= TARGETS.actionMedianMs),
        ]
      : ["action → next tip", "no action completed", `median ≤ ${TARGETS.actionMedianMs} ms`, "MISS"],
    ...(!("runs" in lighthouseResult)
      ? [["Lighthouse performance / accessibility", "skipped", `${TARGETS.lighthouse} / ${TARGETS.lighthouse}`, "SKIP"]]
      : [
          [
            `Lighthouse performance (mobile, median of ${lighthouseResult.runs.length})`,
            String(lighthouseResult.performance),
            String(TARGETS.lighthouse),
            verdict(lighthouseResult.performance >= TARGETS.lighthouse),
          ],
          [
            `Lighthouse accessibility (mobile, median of ${lighthouseResult.runs.length})`,
            String(lighthouseResult.accessibility),
            String(TARGETS.lighthouse),
            verdict(lighthouseResult.accessibility >= TARGETS.lighthouse),
          ],
        ]),
  ];
  table(rows);
} finally {
  if (server.exitCode === null) await stop(server);
  clearTimeout(watchdog);
  data.cleanup();
}
