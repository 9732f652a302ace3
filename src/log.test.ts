import { expect, test } from "bun:test";
import { Writable } from "node:stream";
import { closeLogger, createLogger } from "./log.ts";

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
