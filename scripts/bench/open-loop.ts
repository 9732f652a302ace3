/**
 * Open-loop load: requests go out at a fixed rate whatever the server does, over at most
 * `--connections` keep-alive connections with one request in flight each, and each latency runs
 * from the moment the request was due. A stall then counts against every request it held back,
 * which a closed loop (wrk's) leaves out of its percentiles: there, a stalled connection simply
 * sends less. Requests are launched on a 1-ms timer, so a latency can read up to ~1 ms long,
 * never short. Plain sockets rather than fetch: the load generator shares the machine with the
 * server, and fetch costs it several times the CPU per request that wrk does.
 *
 * Usage: bun scripts/bench/open-loop.ts --url URL --rate N [--connections 64] [--seconds 15]
 *        [--method POST] [--cookies FILE (one Cookie header value per line, used in turn)]
 * Prints one JSON line: { requestsPerSecond, p50Ms, p99Ms, non2xx, errors, dueRequests }.
 */
import type { Socket } from "bun";
import { numberOption, stringOption } from "./lib.ts";

const positive = (name: string, fallback: number) => {
  const value = numberOption(name, fallback);
  if (!(value > 0)) throw new Error(`--${name} needs a positive number`);
  return value;
};

const url = new URL(stringOption("url"));
const rate = positive("rate", Number.NaN);
const connections = positive("connections", 64);
const seconds = positive("seconds", 15);
const method = stringOption("method", "POST");
const cookieFile = process.argv.includes("--cookies") ? stringOption("cookies") : null;
const cookies = cookieFile ? (await Bun.file(cookieFile).text()).split("\n").filter(Boolean) : [""];
const requests = cookies.map((cookie) =>
  Buffer.from(
    `${method} ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n${cookie ? `Cookie: ${cookie}\r\n` : ""}Content-Length: 0\r\n\r\n`,
  ),
);

const HEADER_END = Buffer.from("\r\n\r\n");
const CONTENT_LENGTH = /^content-length:\s*(\d+)/im;

/** What a connection carries: when its request in flight was due (null when idle), and the reply so far. */
interface Exchange {
  dueAt: number | null;
  received: Buffer;
}
type Connection = Socket<Exchange>;

const dueRequests = Math.floor(rate * seconds);
const intervalMs = 1000 / rate;
const latencies: number[] = [];
const idle: Connection[] = [];
let launched = 0;
let openConnections = connections;
let non2xx = 0;
let errors = 0;
const { promise: allAnswered, resolve: finish } = Promise.withResolvers<void>();

function answered(exchange: Exchange, status: number | null) {
  if (status === null) errors++;
  else if (status >= 300) non2xx++;
  latencies.push(performance.now() - exchange.dueAt!);
  exchange.dueAt = null;
  exchange.received = Buffer.alloc(0);
  if (latencies.length === dueRequests) finish();
}

/** A whole response is in: its status, or null for one this client cannot read (no Content-Length). */
function completeResponse(received: Buffer): { status: number | null } | null {
  const headerEnd = received.indexOf(HEADER_END);
  if (headerEnd === -1) return null;
  const head = received.subarray(0, headerEnd).toString("latin1");
  const length = CONTENT_LENGTH.exec(head);
  if (!length) return { status: null };
  if (received.length < headerEnd + HEADER_END.length + Number(length[1])) return null;
  return { status: Number(head.slice(9, 12)) };
}

function open(): Promise<Connection> {
  return Bun.connect<Exchange>({
    hostname: url.hostname,
    port: Number(url.port || 80),
    data: { dueAt: null, received: Buffer.alloc(0) },
    socket: {
      data(connection, chunk) {
        connection.data.received = Buffer.concat([connection.data.received, chunk]);
        const response = completeResponse(connection.data.received);
        if (!response) return;
        answered(connection.data, response.status);
        idle.push(connection);
        launchDue();
      },
      close(connection) {
        if (connection.data.dueAt !== null) answered(connection.data, null);
        const index = idle.indexOf(connection);
        if (index !== -1) idle.splice(index, 1);
        // With no connection left, nothing more can be sent: the rest count as errors, not as a hang.
        if (--openConnections === 0 && launched < dueRequests) {
          errors += dueRequests - launched;
          launched = dueRequests;
          finish();
        }
      },
    },
  });
}

/** Sends every request whose time has come, as far as idle connections allow; the rest wait their turn. */
function launchDue() {
  const now = performance.now();
  while (launched < dueRequests && idle.length > 0) {
    const dueAt = startedAt + launched * intervalMs;
    if (dueAt > now) return;
    const connection = idle.pop()!;
    connection.data.dueAt = dueAt;
    connection.write(requests[launched % requests.length]!);
    launched++;
  }
}

idle.push(...(await Promise.all(Array.from({ length: connections }, open))));
const startedAt = performance.now();
const ticker = setInterval(launchDue, 1);
await allAnswered;
clearInterval(ticker);
const elapsedSeconds = (performance.now() - startedAt) / 1000;
for (const connection of idle) connection.end();
latencies.sort((a, b) => a - b);
const percentile = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((latencies.length * p) / 100))]!;
console.log(
  JSON.stringify({
    requestsPerSecond: latencies.length / elapsedSeconds,
    p50Ms: percentile(50),
    p99Ms: percentile(99),
    non2xx,
    errors,
    dueRequests,
  }),
);
process.exit(0);
