import linucbSource from "../../ml/linucb.py" with { type: "text" };
import scorerSource from "../../ml/scorer.py" with { type: "text" };
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import type { Env } from "../config.ts";
import { openDatabase } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { BanditStore } from "../recommender/bandit.ts";
import type { Candidate } from "../recommender/candidates/index.ts";
import { clockAt, featuresOfAll } from "../recommender/features.ts";
import { linucbPolicy } from "../recommender/policies/linucb.ts";
import { captureLogger, freePort, tempDir, testConfig } from "../testing/harness.ts";
import { type BanditState, HeldStates, packScoreRequest, type ScorerFailure, type ScoreRequest, ScorerUnavailable } from "./protocol.ts";
import { createScorer, type Scorer } from "./scorer.ts";
import { HUNG_AFTER_MS, MAX_QUEUED_CALLS } from "./worker.ts";

const ML_DIR = join(import.meta.dir, "..", "..", "ml");
const SCRIPT = join(ML_DIR, "scorer.py");

/** Everything a test starts, stopped after it whatever happened. */
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A scorer built and started; `start: false` leaves it built only. */
function startScorer(env: Env = {}, { start = true } = {}) {
  const dir = tempDir();
  cleanups.push(dir.cleanup);
  const { log, lines } = captureLogger();
  const config = testConfig({ DATA_DIR: dir.path, PYTHON: "python3", ...env });
  const scorer = createScorer({ config, log });
  cleanups.push(() => scorer.close());
  if (start) scorer.start();
  return { scorer, lines, dir: dir.path, config };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

async function startedScorer(env: Env = {}) {
  const started = startScorer(env);
  await waitFor(() => started.scorer.status().state === "up", "the scorer to come up");
  return started;
}

async function failure(call: Promise<unknown>): Promise<ScorerUnavailable> {
  try {
    await call;
  } catch (error) {
    expect(error).toBeInstanceOf(ScorerUnavailable);
    return error as ScorerUnavailable;
  }
  throw new Error("the call succeeded");
}

async function expectFailure(call: Promise<unknown>, reason: ScorerFailure, message?: string | RegExp) {
  const error = await failure(call);
  expect(error.reason).toBe(reason);
  if (message !== undefined) expect(error.message).toMatch(message);
  return error;
}

const greedy = (state: BanditState | null, xs: number[][], alpha = 1): ScoreRequest => ({
  policy: "linucb",
  params: { alpha },
  state,
  candidates: xs.map((x, index) => ({ id: `c${index}`, x })),
});

/** The LinUCB reference, written from the definition: A = I + Σ x xᵀ inverted directly, b = Σ r x. */
/** A deterministic stand-in for Math.random. */
const sequence = (...values: number[]) => {
  let index = 0;
  return () => values[index++ % values.length]!;
};

function reference(history: { x: number[]; reward: number }[], d: number) {
  const a = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 1 : 0)));
  const b = Array<number>(d).fill(0);
  for (const { x, reward } of history) {
    for (let i = 0; i < d; i++) {
      b[i]! += reward * x[i]!;
      for (let j = 0; j < d; j++) a[i]![j]! += x[i]! * x[j]!;
    }
  }
  const inverse = invert(a);
  const theta = inverse.map((row) => dot(row, b));
  const score = (x: number[], alpha: number) => {
    const mean = dot(theta, x);
    const bonus = alpha * Math.sqrt(dot(x, inverse.map((row) => dot(row, x))));
    return { mean, bonus, score: mean + bonus };
  };
  return { inverse, b, score };
}

const dot = (left: number[], right: number[]) => left.reduce((sum, value, index) => sum + value * right[index]!, 0);

function invert(matrix: number[][]): number[][] {
  const n = matrix.length;
  const work = matrix.map((row, i) => [...row, ...row.map((_, j) => (i === j ? 1 : 0))]);
  for (let column = 0; column < n; column++) {
    let pivot = column;
    for (let row = column + 1; row < n; row++) if (Math.abs(work[row]![column]!) > Math.abs(work[pivot]![column]!)) pivot = row;
    [work[column], work[pivot]] = [work[pivot]!, work[column]!];
    const scale = work[column]![column]!;
    work[column] = work[column]!.map((value) => value / scale);
    for (let row = 0; row < n; row++) {
      if (row === column) continue;
      const factor = work[row]![column]!;
      work[row] = work[row]!.map((value, j) => value - factor * work[column]![j]!);
    }
  }
  return work.map((row) => row.slice(n));
}

describe("the embedded scripts", () => {
  test("are ml/scorer.py and ml/linucb.py as they are on disk, written to DATA_DIR/ml/ and rewritten only when they differ", async () => {
    const onDisk = readFileSync(SCRIPT, "utf8");
    expect(scorerSource).toBe(onDisk);
    const linucbOnDisk = readFileSync(join(ML_DIR, "linucb.py"), "utf8");
    expect(linucbSource).toBe(linucbOnDisk);

    const first = startScorer();
    const installed = join(first.dir, "ml", "scorer.py");
    const installedLinucb = join(first.dir, "ml", "linucb.py");
    expect(readFileSync(installed, "utf8")).toBe(onDisk);
    expect(readFileSync(installedLinucb, "utf8")).toBe(linucbOnDisk);
    expect(readdirSync(join(first.dir, "ml")).sort()).toEqual(["linucb.py", "scorer.py"]);
    await first.scorer.close();

    const writtenAt = [statSync(installed).mtimeMs, statSync(installedLinucb).mtimeMs];
    await Bun.sleep(20);
    const again = createScorer({ config: first.config, log: captureLogger().log });
    again.start();
    await again.close();
    expect([statSync(installed).mtimeMs, statSync(installedLinucb).mtimeMs]).toEqual(writtenAt);

    writeFileSync(installed, "# an older scorer\n");
    writeFileSync(installedLinucb, "# an older module\n");
    const replaced = createScorer({ config: first.config, log: captureLogger().log });
    replaced.start();
    await replaced.close();
    expect(readFileSync(installed, "utf8")).toBe(onDisk);
    expect(readFileSync(installedLinucb, "utf8")).toBe(linucbOnDisk);
  });

  test("the installed scorer runs from DATA_DIR/ml/ with nothing else there", async () => {
    const { scorer, dir } = await startedScorer();
    expect(readdirSync(join(dir, "ml")).sort()).toEqual(["linucb.py", "scorer.py"]);
    expect((await scorer.score(greedy(null, [[3, 4]]))).scores).toEqual([5]);
  });
});

describe("building a scorer", () => {
  test("spawns nothing and writes nothing: calls fail as down until start", async () => {
    const { scorer, dir } = startScorer({}, { start: false });
    expect(scorer.status()).toMatchObject({ mode: "child", state: "stopped", pid: null, restarts: 0, lastError: null });
    expect(readdirSync(dir)).toEqual([]);
    await expectFailure(scorer.score(greedy(null, [[1]])), "down", "the scorer is not started");
    await expectFailure(scorer.update({ policy: "linucb", state: null, x: [1], reward: 1 }), "down", "the scorer is not started");
    await expectFailure(scorer.health(), "down", "the scorer is not started");

    scorer.start();
    scorer.start(); // once only
    await waitFor(() => scorer.status().state === "up", "the scorer to come up");
    expect((await scorer.score(greedy(null, [[3, 4]]))).scores).toEqual([5]);
    expect(scorer.status().restarts).toBe(0);
  });

  test("in HTTP mode, calls nothing until start", async () => {
    let calls = 0;
    const remote = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => (calls++, Response.json({ ok: true, version: "linucb-test", numpy: false })) });
    cleanups.push(() => remote.stop(true));
    const { scorer } = startScorer({ ML_SERVING_URL: `http://127.0.0.1:${remote.port}`, ML_TIMEOUT_MS: "2000" }, { start: false });
    expect(scorer.status()).toMatchObject({ mode: "http", state: "stopped" });
    await expectFailure(scorer.score(greedy(null, [[1]])), "down", "the scorer is not started");
    await Bun.sleep(20);
    expect(calls).toBe(0);
    scorer.start();
    await waitFor(() => scorer.status().state === "up", "the first health call");
    expect(scorer.status()).toMatchObject({ version: "linucb-test", numpy: false });
    expect(calls).toBe(1);
  });

  test("a closed scorer is not started again", async () => {
    const { scorer } = startScorer({}, { start: false });
    await scorer.close();
    scorer.start();
    expect(scorer.status()).toMatchObject({ state: "closed", pid: null });
    await expectFailure(scorer.score(greedy(null, [[1]])), "down", "the scorer is closed");
  });
});

describe("scorer child process", () => {
  test("comes up, reports its version, and a score + update round trip matches the LinUCB math", async () => {
    const { scorer, lines } = await startedScorer();
    const status = scorer.status();
    expect(status).toMatchObject({ mode: "child", state: "up", restarts: 0, lastError: null, version: expect.stringMatching(/^linucb-/) });
    expect(status.pid).toBeGreaterThan(0);
    expect(lines.find((line) => line.msg === "scorer is up")).toMatchObject({ level: "info", pid: status.pid });
    expect(await scorer.health()).toEqual(expect.objectContaining({ ok: true, version: status.version!, numpy: status.numpy! }));

    const history = [
      { x: [1, 0.5, 0, 0.2, 1], reward: 1 },
      { x: [0, 1, 0.3, 0, 1], reward: 0 },
      { x: [0.7, 0, 1, 0.9, 1], reward: -0.5 },
    ];
    let state: BanditState | null = null;
    for (const step of history) state = (await scorer.update({ policy: "linucb", state, x: step.x, reward: step.reward })).state;
    const expected = reference(history, 5);
    expect(state!.d).toBe(5);
    expect(state!.pulls).toBe(3);
    expect(state!.reward_sum).toBeCloseTo(0.5, 12);
    state!.b.forEach((value, i) => expect(value).toBeCloseTo(expected.b[i]!, 12));
    state!.A_inv.forEach((row, i) => row.forEach((value, j) => expect(value).toBeCloseTo(expected.inverse[i]![j]!, 12)));

    const xs = [
      [1, 0.5, 0, 0.2, 1],
      [0, 0, 1, 1, 1],
      [0.2, 0.9, 0.4, 0.1, 1],
    ];
    const result = await scorer.score(greedy(state, xs, 0.7));
    const want = xs.map((x) => expected.score(x, 0.7));
    result.scores.forEach((value, i) => expect(value).toBeCloseTo(want[i]!.score, 12));
    result.detail!.forEach((item, i) => {
      expect(item.id).toBe(`c${i}`);
      expect(item.mean).toBeCloseTo(want[i]!.mean, 12);
      expect(item.bonus).toBeCloseTo(want[i]!.bonus, 12);
    });
    const best = want.reduce((top, item, i) => (item.score > want[top]!.score ? i : top), 0);
    expect(result.chosen).toBe(`c${best}`);
    expect(result.propensity).toBe(1);
  });

  test("the LinUCB policy scores alike candidates once and explores over every candidate", async () => {
    const { scorer } = await startedScorer();
    const sent: number[] = [];
    const counting = {
      score: (request: Parameters<typeof scorer.score>[0]) => {
        sent.push("xs" in request ? request.xs.length : Number.NaN);
        return scorer.score(request);
      },
    };
    const database = openDatabase(":memory:");
    migrate(database.sqlite);
    const policy = linucbPolicy(counting, new BanditStore(database.db, scorer, captureLogger().log), 1, 0.2);
    const clock = clockAt(Date.UTC(2026, 10, 18, 7, 30), "UTC");
    const advice = (key: string, category: string | null, source = "advice"): Candidate => ({
      key,
      kind: "advice",
      source,
      content: key,
      priority: 2,
      category,
      dueAt: null,
      addedAt: null,
      changedAt: null,
      timeOfDay: "any",
      dayKind: "any",
    });
    const candidates = [advice("a", "body"), advice("b", null), advice("c", "body"), advice("d", null), advice("e", "rest", "llm")];
    // f2 tells these advices apart by theme and source (f1 would see five alike ones).
    const features = featuresOfAll(candidates, clock, "f2");
    const exploit = await policy.decide({ userId: "u", candidates, features, clock, random: () => 0.99 });
    expect(sent).toEqual([3]);
    expect(exploit.scores).toHaveLength(5);
    expect(exploit.scores[0]).toBe(exploit.scores[2]!);
    expect(exploit.scores[1]).toBe(exploit.scores[3]!);
    // A fresh model scores by the norm of x: the one with the most features on wins, with 1 − ε + (ε/2)/K.
    expect(exploit).toMatchObject({ chosen: 4, explored: false, scorerStatus: "ok" });
    expect(exploit.propensity).toBeCloseTo(0.8 + 0.1 / 5, 12);
    // Half of ε goes uniformly over every candidate, half to the heuristic's pick (the first of these alike advices).
    const explore = await policy.decide({ userId: "u", candidates, features, clock, random: sequence(0.1, 0.7, 0.5) });
    expect(explore).toMatchObject({ chosen: 2, explored: true });
    expect(explore.propensity).toBeCloseTo(0.1 / 5, 12);
    const onHeuristic = await policy.decide({ userId: "u", candidates, features, clock, random: sequence(0.1, 0.3) });
    expect(onHeuristic).toMatchObject({ chosen: 0, explored: true });
    expect(onHeuristic.propensity).toBeCloseTo(0.1 + 0.1 / 5, 12);
    database.close();
  });

  test("200 concurrent calls over the one child each get their own answer", async () => {
    const { scorer } = await startedScorer({ ML_TIMEOUT_MS: "5000" });
    const pid = scorer.status().pid;
    const calls = Array.from({ length: 200 }, (_, i) =>
      i % 4 === 3
        ? scorer.update({ policy: "linucb", state: null, x: [i, 1], reward: i }).then(({ state }) => {
            expect(state.b).toEqual([i * i, i]);
            expect(state.reward_sum).toBe(i);
          })
        : scorer.score(greedy(null, [[i, 0], [0, i + 1]])).then((result) => {
            // A fresh model scores by the norm of x: |[i, 0]| = i < i + 1.
            expect(result.scores).toEqual([i, i + 1]);
            expect(result.chosen).toBe("c1");
          }),
    );
    await Promise.all(calls);
    expect(scorer.status().pid).toBe(pid);
  });

  test("bare vectors travel packed and score exactly as the same vectors named", async () => {
    const { scorer } = await startedScorer();
    let state: BanditState | null = null;
    for (const x of [[0.1 + 0.2, 1 / 3], [2 / 3, 0.7]]) state = (await scorer.update({ policy: "linucb", state, x, reward: 1 })).state;
    // Doubles that no short decimal writes exactly.
    const xs = [[1 / 7, 0.1 + 0.2], [Math.PI, 1e-300], [1 / 3, 5e-324]];
    const named = await scorer.score(greedy(state, xs));
    const bare = await scorer.score({ policy: "linucb", params: { alpha: 1 }, state, xs });
    expect(bare.scores).toEqual(named.scores);
    expect(bare.chosen).toBe(Number(String(named.chosen).slice(1)));
    expect(bare.propensity).toBe(1);

    await expectFailure(scorer.score({ policy: "linucb", params: { alpha: 1 }, state, xs: [[1, 2], [1]] }), "error", "xs[1] has 1 values, xs[0] has 2");
    await expectFailure(scorer.score({ policy: "linucb", params: { alpha: 1 }, state, xs: [[1, Number.NaN]] }), "error", "xs_f64 must hold finite numbers only");
    await expectFailure(scorer.score({ policy: "linucb", params: { alpha: 1 }, state, xs: [[1, 2, 3]] }), "error", "dimension mismatch: each packed vector has 3 values, the model has d=2");
    expect(scorer.status()).toMatchObject({ state: "up", restarts: 0 });
  });

  test("a scorer error (bad dimension) is a typed error carrying the scorer's message", async () => {
    const { scorer } = await startedScorer();
    const state: BanditState = { d: 2, A_inv: [[1, 0], [0, 1]], b: [0, 0], pulls: 0, reward_sum: 0 };
    await expectFailure(scorer.score(greedy(state, [[1, 2, 3]])), "error", "dimension mismatch: candidates[0].x has 3 values, the model has d=2");
    await expectFailure(scorer.update({ policy: "linucb", state, x: [1], reward: 1 }), "error", "dimension mismatch: x has 1 values, the model has d=2");
    await expectFailure(scorer.score(greedy(null, [])), "error", "candidates must be a non-empty list");
    // The child keeps serving, and is still the same process.
    expect((await scorer.score(greedy(state, [[3, 4]]))).scores).toEqual([5]);
    expect(scorer.status().restarts).toBe(0);
  });

  test("a killed child fails the call in flight as down, fails fast while down, and is restarted after the backoff", async () => {
    const { scorer, lines } = await startedScorer({ ML_TIMEOUT_MS: "5000" });
    const firstPid = scorer.status().pid!;
    const inFlight = scorer.score(greedy(null, [[1, 2]]));
    process.kill(firstPid);
    await expectFailure(inFlight, "down", "the scorer was killed by SIGTERM");
    expect(scorer.status()).toMatchObject({ state: "down", pid: null, lastError: "the scorer was killed by SIGTERM" });

    const startedAt = performance.now();
    await expectFailure(scorer.score(greedy(null, [[1, 2]])), "down", /restarting/);
    expect(performance.now() - startedAt).toBeLessThan(20);

    await waitFor(() => scorer.status().state === "up", "the restarted scorer");
    expect(scorer.status().restarts).toBe(1);
    expect(scorer.status().pid).not.toBe(firstPid);
    expect((await scorer.score(greedy(null, [[3, 4]]))).scores).toEqual([5]);
    expect(lines.find((line) => line.msg === "the scorer was killed by SIGTERM; restarting it")).toMatchObject({ level: "warn", restartInMs: 100 });
  });

  test("a model is sent in full once, then by its ref; a restarted child is sent it in full again", async () => {
    const held = new HeldStates();
    const state: BanditState = { d: 2, A_inv: [[0.5, 0], [0, 1]], b: [1, 0], pulls: 1, reward_sum: 1 };
    const request = { policy: "linucb" as const, params: { alpha: 1, detail: false }, state, xs: [[1, 0], [0, 1]] };
    const first = packScoreRequest(request, held) as { state: { ref: number; f64?: string } };
    expect(first.state).toMatchObject({ ref: expect.any(Number), f64: expect.any(String), d: 2 });
    expect((packScoreRequest(request, held) as { state: object }).state).toEqual({ ref: first.state.ref });
    // Another model (an update makes a new object) has a ref of its own.
    const next = packScoreRequest({ ...request, state: { ...state, pulls: 2 } }, held) as { state: { ref: number } };
    expect(next.state.ref).not.toBe(first.state.ref);

    const { scorer } = await startedScorer({ ML_TIMEOUT_MS: "5000" });
    const expected = [0.5 + Math.sqrt(0.5), 1];
    expect((await scorer.score(request)).scores).toEqual(expected);
    expect((await scorer.score(request)).scores).toEqual(expected);
    const firstPid = scorer.status().pid!;
    process.kill(firstPid);
    await waitFor(() => scorer.status().state === "up" && scorer.status().pid !== firstPid, "the restarted scorer");
    // The new child does not hold the model: it says so, and the model goes again in full.
    expect((await scorer.score(request)).scores).toEqual(expected);
    expect((await scorer.score(request)).scores).toEqual(expected);
  });

  test("a child that stops answering while calls wait (alive, but stuck) is killed and restarted like one that died", async () => {
    const { scorer, lines } = await startedScorer({ ML_TIMEOUT_MS: "100" });
    const stuckPid = scorer.status().pid!;
    process.kill(stuckPid, "SIGSTOP");
    // Should the test fail before the kill: a stopped child would not take close()'s SIGTERM.
    cleanups.push(() => {
      try {
        process.kill(stuckPid, "SIGCONT");
      } catch {} // gone, as it should be
    });
    const stoppedAt = performance.now();
    // The queue fills up, every further call is refused as busy, then no call comes at all.
    const calls = Array.from({ length: MAX_QUEUED_CALLS + 10 }, () => scorer.score(greedy(null, [[1, 2]])).catch((error: ScorerUnavailable) => error.reason));
    const reasons = new Set(await Promise.all(calls));
    expect([...reasons].sort()).toEqual(["busy", "timeout"]);
    await waitFor(() => scorer.status().pid !== stuckPid, "the stuck child to be killed", 2 * HUNG_AFTER_MS);
    expect(performance.now() - stoppedAt).toBeGreaterThanOrEqual(HUNG_AFTER_MS);
    expect(lines.find((line) => line.msg === "the scorer answers nothing; killing it to restart it")).toMatchObject({ level: "warn", pid: stuckPid });

    await waitFor(() => scorer.status().state === "up", "the restarted scorer");
    expect(scorer.status().restarts).toBe(1);
    expect((await scorer.score(greedy(null, [[3, 4]]))).scores).toEqual([5]);
  });

  test("a server that stalls after a call does not take the child's silence for a hang", async () => {
    const { scorer } = await startedScorer({ ML_TIMEOUT_MS: "100" });
    const pid = scorer.status().pid!;
    const stalled = scorer.score(greedy(null, [[1, 2]])).catch((error: ScorerUnavailable) => error.reason);
    Bun.sleepSync(HUNG_AFTER_MS + 200); // the line goes out only after this
    await stalled;
    await Bun.sleep(HUNG_AFTER_MS + 200);
    expect(scorer.status()).toMatchObject({ state: "up", pid, restarts: 0 });
    expect((await scorer.score(greedy(null, [[3, 4]]))).scores).toEqual([5]);
  }, 15_000);

  test("the restart delay doubles while the child keeps dying before it comes up", async () => {
    const bin = tempDir();
    cleanups.push(bin.cleanup);
    const dying = join(bin.path, "python-that-dies");
    writeFileSync(dying, "#!/bin/sh\nexit 3\n");
    chmodSync(dying, 0o755);
    const { scorer, lines } = startScorer({ PYTHON: dying });
    await waitFor(() => scorer.status().restarts >= 3, "three restarts", 5_000);
    const delays = lines.filter((line) => line.msg === "the scorer exited with code 3; restarting it").map((line) => line.restartInMs);
    expect(delays.slice(0, 3)).toEqual([100, 200, 400]);
    expect(scorer.status().lastError).toBe("the scorer exited with code 3");
  });

  test("stray output of the interpreter is logged, never taken for a reply", async () => {
    const bin = tempDir();
    cleanups.push(bin.cleanup);
    const chatty = join(bin.path, "chatty-python");
    writeFileSync(chatty, `#!/bin/sh\necho "a banner on stdout"\necho "a warning on stderr" >&2\nexec python3 "$@"\n`);
    chmodSync(chatty, 0o755);
    const { scorer, lines } = await startedScorer({ PYTHON: chatty });
    expect((await scorer.score(greedy(null, [[3, 4]]))).scores).toEqual([5]);
    await waitFor(() => lines.some((line) => line.msg === "scorer stderr"), "the stderr line");
    expect(lines).toContainEqual(expect.objectContaining({ level: "warn", msg: "the scorer wrote a line that is not JSON", line: "a banner on stdout" }));
    expect(lines).toContainEqual(expect.objectContaining({ level: "warn", msg: "scorer stderr", line: "a warning on stderr" }));
  });

  test("PYTHON that cannot be run makes the scorer absent, and every call fails fast as absent", async () => {
    const { scorer, lines } = startScorer({ PYTHON: "/nonexistent" });
    expect(scorer.status()).toMatchObject({ mode: "child", state: "absent", pid: null, lastError: expect.stringContaining("cannot run /nonexistent") });
    await expectFailure(scorer.score(greedy(null, [[1]])), "absent", /cannot run \/nonexistent/);
    await expectFailure(scorer.update({ policy: "linucb", state: null, x: [1], reward: 1 }), "absent");
    await expectFailure(scorer.health(), "absent");
    expect(lines.find((line) => line.level === "error")?.msg).toContain("recommendations use the heuristic");
    await Bun.sleep(150);
    expect(scorer.status()).toMatchObject({ state: "absent", restarts: 0 });
  });

  test("a data dir the script cannot be written to makes the scorer absent", async () => {
    const blocker = tempDir();
    cleanups.push(blocker.cleanup);
    const file = join(blocker.path, "a-file");
    writeFileSync(file, "");
    const { scorer } = startScorer({ DATA_DIR: file });
    expect(scorer.status()).toMatchObject({ state: "absent", lastError: expect.stringContaining("cannot write") });
    await expectFailure(scorer.score(greedy(null, [[1]])), "absent");
  });

  test("a call gets no answer within ML_TIMEOUT_MS from a slow interpreter: timeout, then the late answer is ignored", async () => {
    const bin = tempDir();
    cleanups.push(bin.cleanup);
    const slow = join(bin.path, "slow-python");
    writeFileSync(slow, `#!/bin/sh\nsleep 1\nexec python3 "$@"\n`);
    chmodSync(slow, 0o755);
    const { scorer } = startScorer({ PYTHON: slow, ML_TIMEOUT_MS: "100" });
    expect(scorer.status().state).toBe("starting");
    const startedAt = performance.now();
    await expectFailure(scorer.score(greedy(null, [[1, 2]])), "timeout", "the scorer did not answer score within 100 ms");
    const waited = performance.now() - startedAt;
    expect(waited).toBeGreaterThanOrEqual(95);
    expect(waited).toBeLessThan(500);

    await waitFor(() => scorer.status().state === "up", "the slow scorer");
    expect((await scorer.score(greedy(null, [[3, 4]]))).scores).toEqual([5]);
  });

  test("the child gets the environment without credentials", async () => {
    const bin = tempDir();
    cleanups.push(bin.cleanup);
    const dump = join(bin.path, "environment");
    const python = join(bin.path, "python-that-tells");
    writeFileSync(python, `#!/bin/sh\nenv > "${dump}"\nexec python3 "$@"\n`);
    chmodSync(python, 0o755);
    const secrets = { ADMIN_TOKEN: "admin-secret-value-0123456789", TODOIST_CLIENT_SECRET: "todoist-secret-value", LLM_API_KEY: "llm-key-value" };
    const before = { ...process.env };
    Object.assign(process.env, secrets, { OO_VISIBLE_SETTING: "kept" });
    try {
      await startedScorer({ PYTHON: python });
    } finally {
      for (const name of [...Object.keys(secrets), "OO_VISIBLE_SETTING"]) if (!(name in before)) delete process.env[name];
    }
    const seen = readFileSync(dump, "utf8");
    for (const value of Object.values(secrets)) expect(seen).not.toContain(value);
    expect(seen).toContain("OO_VISIBLE_SETTING=kept");
    expect(seen).toContain("PATH=");
  });

  test("a call the child is too slow for times out while the child stays up", async () => {
    const { scorer } = await startedScorer({ ML_TIMEOUT_MS: "1" });
    const many = Array.from({ length: 20_000 }, (_, i) => [i % 7, 1, (i % 3) / 2, 0.5, 1]);
    await expectFailure(scorer.score(greedy(null, many)), "timeout", "within 1 ms");
    expect(scorer.status()).toMatchObject({ state: "up", restarts: 0 });
  });

  test(`past ${MAX_QUEUED_CALLS} unanswered calls, new calls fail at once as busy`, async () => {
    const { scorer } = await startedScorer({ ML_TIMEOUT_MS: "5000" });
    const results = await Promise.allSettled(Array.from({ length: MAX_QUEUED_CALLS + 40 }, () => scorer.score(greedy(null, [[1, 0]]))));
    const busy = results.filter((result) => result.status === "rejected" && (result.reason as ScorerUnavailable).reason === "busy");
    expect(busy).toHaveLength(40);
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(MAX_QUEUED_CALLS);
    expect((await scorer.score(greedy(null, [[3, 4]]))).scores).toEqual([5]);
  });

  test("close stops the child, fails the calls in flight, and nothing restarts it", async () => {
    const { scorer } = await startedScorer({ ML_TIMEOUT_MS: "5000" });
    const pid = scorer.status().pid!;
    const inFlight = failure(scorer.score(greedy(null, [[1, 2]])));
    await scorer.close();
    expect(await inFlight).toMatchObject({ reason: "down", message: "the scorer is closed" });
    expect(() => process.kill(pid, 0)).toThrow();
    await expectFailure(scorer.score(greedy(null, [[1, 2]])), "down", "the scorer is closed");
    await Bun.sleep(150);
    expect(scorer.status()).toMatchObject({ state: "closed", pid: null, restarts: 0 });
  });
});

describe("scorer over HTTP (ML_SERVING_URL)", () => {
  async function startRemote(): Promise<string> {
    const port = freePort();
    const remote: Subprocess = Bun.spawn(["python3", SCRIPT, "--http", String(port)], { stdout: "ignore", stderr: "pipe" });
    cleanups.push(async () => {
      remote.kill();
      await remote.exited;
    });
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        if ((await fetch(`${url}/health`)).ok) return url;
      } catch {}
      if (Date.now() > deadline) throw new Error("the HTTP scorer never answered /health");
      await Bun.sleep(20);
    }
  }

  /** Sits in front of the real scorer to see the headers it is sent, or to answer late. */
  function startProxy(target: string, delayMs = 0) {
    const seen: { path: string; traceparent: string | null }[] = [];
    const bodies: Record<string, unknown>[] = [];
    const proxy = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      async fetch(request) {
        const url = new URL(request.url);
        seen.push({ path: url.pathname, traceparent: request.headers.get("traceparent") });
        const body = request.method === "POST" ? await request.text() : undefined;
        if (body) bodies.push(JSON.parse(body));
        if (delayMs) await Bun.sleep(delayMs);
        return fetch(`${target}${url.pathname}`, { method: request.method, body, headers: request.headers });
      },
    });
    cleanups.push(() => proxy.stop(true));
    return { url: `http://127.0.0.1:${proxy.port}`, seen, bodies };
  }

  test("score, update and health go to the remote, with the traceparent header", async () => {
    const remote = await startRemote();
    const proxy = startProxy(remote);
    const { scorer } = startScorer({ ML_SERVING_URL: proxy.url, ML_TIMEOUT_MS: "2000" });
    await waitFor(() => scorer.status().state === "up", "the remote scorer's status");
    expect(scorer.status()).toMatchObject({ mode: "http", restarts: 0, pid: null, version: expect.stringMatching(/^linucb-/) });

    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const { state } = await scorer.update({ policy: "linucb", state: null, x: [1, 0], reward: 1 }, { traceparent });
    expect(state).toEqual({ d: 2, A_inv: [[0.5, 0], [0, 1]], b: [1, 0], pulls: 1, reward_sum: 1 });
    const result = await scorer.score(greedy(state, [[1, 0], [0, 1], [1, 1]], 0), { traceparent });
    expect(result.scores).toEqual([0.5, 0, 0.5]);
    expect(result.chosen).toBe("c0");
    expect((await scorer.health()).ok).toBe(true);
    expect(proxy.seen.filter((call) => call.path !== "/health")).toEqual([
      { path: "/update", traceparent },
      { path: "/score", traceparent },
    ]);
  });

  test("bare vectors go packed and their scores come back exactly", async () => {
    const proxy = startProxy(await startRemote());
    const { scorer } = startScorer({ ML_SERVING_URL: proxy.url, ML_TIMEOUT_MS: "2000" });
    const state: BanditState = { d: 2, A_inv: [[0.5, 0], [0, 1]], b: [1 / 3, 0.1 + 0.2], pulls: 1, reward_sum: 1 };
    const xs = [[1 / 7, 0.1 + 0.2], [Math.PI, 1e-300]];
    const named = await scorer.score(greedy(state, xs));
    const bare = await scorer.score({ policy: "linucb", params: { alpha: 1, detail: false }, state, xs });
    expect(bare).toMatchObject({ scores: named.scores, chosen: Number(String(named.chosen).slice(1)), propensity: 1 });
    const sent = proxy.bodies.at(-1)!;
    expect(sent).toMatchObject({ d: 2, xs_f64: expect.any(String) });
    expect(sent).not.toHaveProperty("xs");

    // Features as serving rounds them (four decimals in [0, 1]) go as ten-thousandths, a quarter of the bytes, and score the same.
    const rounded = [[0.3333, 1], [0, 0.0001], [0.5, 0.9999]];
    const namedRounded = await scorer.score(greedy(state, rounded));
    const quantized = await scorer.score({ policy: "linucb", params: { alpha: 1, detail: false }, state, xs: rounded });
    expect(quantized.scores).toEqual(namedRounded.scores);
    const sentRounded = proxy.bodies.at(-1) as { d: number; xs_q16: string };
    expect(sentRounded.d).toBe(2);
    expect(Buffer.from(sentRounded.xs_q16, "base64").length).toBe(rounded.length * 2 * 2);
  });

  test("a refused request is a typed error with the scorer's message", async () => {
    const remote = await startRemote();
    const { scorer } = startScorer({ ML_SERVING_URL: remote, ML_TIMEOUT_MS: "2000" });
    const state: BanditState = { d: 2, A_inv: [[1, 0], [0, 1]], b: [0, 0], pulls: 0, reward_sum: 0 };
    await expectFailure(scorer.score(greedy(state, [[1, 2, 3]])), "error", "dimension mismatch: candidates[0].x has 3 values, the model has d=2");
    expect(scorer.status().state).toBe("up");
  });

  test("an unreachable remote is down, a slow one times out, and a closed client calls nothing", async () => {
    const nowhere = startScorer({ ML_SERVING_URL: `http://127.0.0.1:${freePort()}`, ML_TIMEOUT_MS: "1000" });
    await expectFailure(nowhere.scorer.score(greedy(null, [[1]])), "down", /unreachable/);
    expect(nowhere.scorer.status()).toMatchObject({ state: "down", lastError: expect.stringContaining("unreachable") });

    const slow = startProxy(await startRemote(), 300);
    const late = startScorer({ ML_SERVING_URL: slow.url, ML_TIMEOUT_MS: "50" });
    await expectFailure(late.scorer.score(greedy(null, [[1]])), "timeout", "did not answer within 50 ms");

    await late.scorer.close();
    await expectFailure(late.scorer.score(greedy(null, [[1]])), "down", "the scorer is closed");
    expect(late.scorer.status().state).toBe("closed");
  });

  test("a remote answering something that is not the scorer is down", async () => {
    const impostor = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: (request) => (new URL(request.url).pathname === "/score" ? new Response("<h1>bad gateway</h1>", { status: 502 }) : Response.json({ oops: true }, { status: 500 })),
    });
    cleanups.push(() => impostor.stop(true));
    const { scorer } = startScorer({ ML_SERVING_URL: `http://127.0.0.1:${impostor.port}`, ML_TIMEOUT_MS: "1000" });
    await expectFailure(scorer.score(greedy(null, [[1]])), "down", "answered HTTP 502 with a body that is not JSON");
    await expectFailure(scorer.health(), "down", "answered HTTP 500");
  });
});
