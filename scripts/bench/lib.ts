/** Shared pieces of the benchmark scripts: processes, polling, wrk runs and result tables. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { freePort } from "../../src/testing/harness.ts";

export { freePort, tempDir } from "../../src/testing/harness.ts";

export const root = join(import.meta.dir, "..", "..");

export async function waitFor200(url: string, timeoutMs = 15_000, pollMs = 2): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    try {
      if ((await fetch(url)).status === 200) return performance.now() - started;
    } catch {}
    await Bun.sleep(pollMs);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

export async function stop(child: Subprocess) {
  child.kill("SIGTERM");
  await child.exited;
}

export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  return kb / 1024;
}

export const median = (values: number[]) => {
  const sorted = values.toSorted((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

export interface WrkResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

const toMs = (value: string) => {
  const match = /^([\d.]+)(us|ms|s)$/.exec(value.trim());
  if (!match) return Number.NaN;
  const amount = Number(match[1]);
  return match[2] === "us" ? amount / 1000 : match[2] === "s" ? amount * 1000 : amount;
};

/** The word after `--name` on the command line; `fallback` when the option is absent, and an error when both are. */
export function stringOption(name: string, fallback?: string): string {
  const index = process.argv.indexOf(`--${name}`);
  const value = index === -1 ? fallback : process.argv[index + 1];
  if (value === undefined) throw new Error(index === -1 ? `--${name} is required` : `--${name} needs a value`);
  return value;
}

/** The number after `--name` on the command line; `fallback` when the option is absent. */
export function numberOption(name: string, fallback: number): number {
  if (!process.argv.includes(`--${name}`)) return fallback;
  const text = stringOption(name);
  const value = Number(text);
  if (Number.isNaN(value)) throw new Error(`--${name} needs a number, got ${text}`);
  return value;
}

type WrkOptions = { connections?: number; seconds?: number; threads?: number; script?: string };

function wrkCommand(url: string, options: WrkOptions): string[] {
  return [
    "wrk",
    `-t${options.threads ?? 2}`,
    `-c${options.connections ?? 64}`,
    `-d${options.seconds ?? 10}s`,
    "--latency",
    ...(options.script ? ["-s", options.script] : []),
    url,
  ];
}

function wrkReport(exitCode: number | null, out: string, err: string): WrkResult {
  if (exitCode !== 0) throw new Error(`wrk failed: ${err} (install it: apt-get install -y wrk)`);
  const latency = (pct: string) => toMs(new RegExp(`^\\s+${pct}%\\s+(\\S+)`, "m").exec(out)?.[1] ?? "");
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
    p50Ms: latency("50"),
    p99Ms: latency("99"),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
    errors: socketErrors ? socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
  };
}

/** Runs wrk (Debian package `wrk`) and parses its --latency report. */
export function wrk(url: string, options: WrkOptions = {}): WrkResult {
  const run = Bun.spawnSync(wrkCommand(url, options), { stdout: "pipe", stderr: "pipe" });
  return wrkReport(run.exitCode, run.stdout.toString(), run.stderr.toString());
}

/** The same, without blocking this process: for a measurement taken while this process does something else. */
export async function wrkAlongside(url: string, options: WrkOptions = {}): Promise<WrkResult> {
  const run = Bun.spawn(wrkCommand(url, options), { stdout: "pipe", stderr: "pipe" });
  const [out, err, exitCode] = await Promise.all([new Response(run.stdout).text(), new Response(run.stderr).text(), run.exited]);
  return wrkReport(exitCode, out, err);
}

/**
 * POSTs to `url` at a fixed rate from a process of its own (`open-loop.ts`), with at most 64
 * requests in flight, cycling through the Cookie values in `cookieFile` (one per line).
 */
export async function openLoop(url: string, options: { rate: number; seconds: number; cookieFile: string }): Promise<WrkResult> {
  const run = Bun.spawn(
    [
      process.execPath,
      join(import.meta.dir, "open-loop.ts"),
      ...["--url", url, "--rate", String(options.rate), "--seconds", String(options.seconds), "--cookies", options.cookieFile],
    ],
    { stdout: "pipe", stderr: "inherit" },
  );
  const [out, exitCode] = await Promise.all([new Response(run.stdout).text(), run.exited]);
  if (exitCode !== 0) throw new Error(`the open-loop run failed (exit ${exitCode})`);
  return JSON.parse(out) as WrkResult;
}

/** A bare Bun.serve hello-world in its own process: the ceiling every HTTP figure is compared to. */
export async function startBareServer(): Promise<{ url: string; child: Subprocess }> {
  const port = freePort();
  const child = Bun.spawn(
    [process.execPath, "-e", `Bun.serve({ port: ${port}, hostname: "127.0.0.1", fetch: () => Response.json({ ok: true }) })`],
    { stdout: "ignore", stderr: "inherit" },
  );
  const url = `http://127.0.0.1:${port}/`;
  await waitFor200(url);
  return { url, child };
}

export function table(rows: string[][]) {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows) console.log(`| ${row.map((cell, column) => cell.padEnd(widths[column]!)).join(" | ")} |`);
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export function childPids(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
}
