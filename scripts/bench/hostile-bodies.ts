/**
 * Large bodies as an attacker sends them, on dist/oo (build it first: `bun run build`): 8 clients
 * at once each stream a 100 MB body, cross-origin to `POST /api/auth/token` and then same-origin
 * (so it passes the origin check and meets the body limit), a round of each every 250 ms for `--seconds`,
 * while wrk (its own process, one connection) asks `/health` again and again.
 * Reports each answer's status and time, the server's RSS growth, and /health's p99 meanwhile.
 * Targets (issue 17): every answer 403 or 413 within 100 ms, RSS + < 50 MB, /health p99 < 10 ms.
 * Usage: bun scripts/bench/hostile-bodies.ts [--clients 8] [--megabytes 100]
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { freePort, numberOption, root, rssMb, stop, table, tempDir, waitFor200, wrkAlongside } from "./lib.ts";

const clients = numberOption("clients", 8);
const megabytes = numberOption("megabytes", 100);
const seconds = numberOption("seconds", 3);
const binary = join(root, "dist", "oo");
if (!existsSync(binary)) throw new Error("dist/oo is missing: run `bun run build` first");

/** A body of `megabytes` MB, produced as it is read (the client holds one 64 KB chunk at a time). */
function hugeBody(): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  let left = megabytes * 16;
  return new ReadableStream({
    pull(controller) {
      if (left-- <= 0) return controller.close();
      controller.enqueue(chunk);
    },
  });
}

async function attack(url: string, headers: Record<string, string>) {
  const send = async () => {
    const started = performance.now();
    try {
      const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: hugeBody(), duplex: "half" } as RequestInit);
      await response.arrayBuffer();
      return { status: String(response.status), ms: performance.now() - started };
    } catch (error) {
      // The server may close the connection once it has answered, while the client is still sending.
      return { status: `closed (${error instanceof Error ? error.name : "error"})`, ms: performance.now() - started };
    }
  };
  return Promise.all(Array.from({ length: clients }, send));
}

const data = tempDir("oo-bench-hostile-");
const port = freePort();
const base = `http://127.0.0.1:${port}`;
const server = Bun.spawn([binary], { cwd: data.path, env: { PATH: process.env.PATH!, PORT: String(port), LOG_LEVEL: "warn" }, stdout: "ignore", stderr: "inherit" });
try {
  await waitFor200(`${base}/health`);
  await Bun.sleep(1000);
  await (await fetch(`${base}/health`)).arrayBuffer();
  const rssBefore = rssMb(server.pid);
  const health = wrkAlongside(`${base}/health`, { threads: 1, connections: 1, seconds });
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb(server.pid))), 20);
  const crossOrigin: { status: string; ms: number }[] = [];
  const sameOrigin: { status: string; ms: number }[] = [];
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline) {
    const round = performance.now();
    crossOrigin.push(...(await attack(`${base}/api/auth/token`, { origin: "https://evil.example", "sec-fetch-site": "cross-site" })));
    sameOrigin.push(...(await attack(`${base}/api/auth/token`, { origin: base })));
    await Bun.sleep(Math.max(0, 250 - (performance.now() - round)));
  }
  clearInterval(sampler);
  const { p99Ms, requestsPerSecond } = await health;
  const summary = (answers: { status: string; ms: number }[]) => {
    const statuses = [...new Set(answers.map((answer) => answer.status))].join(", ");
    return `${statuses}; slowest ${Math.max(...answers.map((answer) => answer.ms)).toFixed(0)} ms`;
  };
  console.log(`\n${clients} clients at once × ${megabytes} MB bodies to POST /api/auth/token, ${crossOrigin.length + sameOrigin.length} bodies in ${seconds} s\n`);
  table([
    ["figure", "measured", "target"],
    ["cross-origin answers", summary(crossOrigin), "403 within 100 ms"],
    ["same-origin answers (over the body limit)", summary(sameOrigin), "413 within 100 ms"],
    ["RSS growth (peak − before)", `${(rssPeak - rssBefore).toFixed(1)} MB (${rssBefore.toFixed(1)} → ${rssPeak.toFixed(1)})`, "< 50 MB"],
    ["/health p99 meanwhile (wrk, 1 connection)", `${p99Ms.toFixed(2)} ms at ${requestsPerSecond.toFixed(0)} req/s`, "< 10 ms"],
  ]);
} finally {
  await stop(server);
  data.cleanup();
}
