import { expect, test } from "bun:test";
import { Writable } from "node:stream";
import { closeLogger, createLogger, MASKED } from "./log.ts";

test("closeLogger resolves only after a slow destination has written every line", async () => {
  const written: string[] = [];
  const slow = new Writable({
    write(chunk, _encoding, done) {
      setTimeout(() => {
        written.push(...String(chunk).trim().split("\n"));
        done();
      }, 20);
    },
  });
  const log = createLogger("info", slow);
  log.info("one");
  log.info("two");
  log.info("stopped");
  await closeLogger(log);
  expect(written.map((line) => JSON.parse(line).msg)).toEqual(["one", "two", "stopped"]);
});

test("secrets are masked at the top level and one object down, and the caller's objects are left alone", async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).trim().split("\n"));
      done();
    },
  });
  const log = createLogger("info", sink);
  const headers = { cookie: "sid=abc", authorization: "Bearer xyz", accept: "text/html" };
  log.info({ token: "t0k3n", headers, grant: { accessToken: "a", refreshToken: "r", scope: "data:read" }, count: 2 }, "request");
  log.info({ err: new Error("boom") }, "failed");
  await closeLogger(log);
  const [request, failed] = lines.map((line) => JSON.parse(line));
  expect(request).toMatchObject({
    token: MASKED,
    headers: { cookie: MASKED, authorization: MASKED, accept: "text/html" },
    grant: { accessToken: MASKED, refreshToken: MASKED, scope: "data:read" },
    count: 2,
    msg: "request",
  });
  expect(lines.join("\n")).not.toMatch(/abc|xyz|t0k3n/);
  expect(headers.cookie).toBe("sid=abc");
  expect(failed.err.message).toBe("boom");
});
