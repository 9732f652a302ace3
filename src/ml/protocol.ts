/**
 * What travels between the server and the Python scorer (`ml/scorer.py`, where the protocol is
 * documented): requests, replies, the error every failed call is, and the packing of vectors.
 */

/** A user's LinUCB model, exactly as the scorer reads and writes it. `null` in a request = a fresh model. */
export interface BanditState {
  d: number;
  /** d×d inverse of A = I + Σ x xᵀ. */
  A_inv: number[][];
  /** Σ reward·x. */
  b: number[];
  pulls: number;
  reward_sum: number;
}

/** A candidate's id is opaque to the scorer (a string or a number), echoed in `chosen` and `detail`. */
export type CandidateId = string | number;

export interface ScoreCandidate {
  id: CandidateId;
  x: number[];
}

/** Exploration is the caller's to draw (see `epsilonGreedy`): the scorer only scores. */
export interface ScoreParams {
  alpha: number;
  /** False leaves `detail` out of the reply, which the serving path does not read. */
  detail?: boolean;
}

/**
 * Candidates with ids of the caller's choosing, or bare vectors (`xs`) whose ids are their indexes.
 * Bare vectors travel packed in binary and their scores come back packed (see `packScoreRequest`),
 * which is why the serving path sends those.
 */
export type ScoreRequest = { policy: "linucb"; params: ScoreParams; state: BanditState | null } & (
  | { candidates: ScoreCandidate[] }
  | { xs: number[][] }
);

export interface ScoreDetail {
  id: CandidateId;
  mean: number;
  bonus: number;
}

export interface ScoreResult {
  /** mean + bonus, in candidate order. */
  scores: number[];
  /** The best score's candidate, the first one on ties. */
  chosen: CandidateId;
  /** Always 1: the scorer's own pick is greedy. */
  propensity: number;
  /** Absent when the request asked for `detail: false`. */
  detail?: ScoreDetail[];
}

export interface UpdateRequest {
  policy: "linucb";
  state: BanditState | null;
  x: number[];
  reward: number;
}

/** A model carried over from one feature version to another, by feature name (`ml/linucb.py` `migrate`). */
export interface MigrateRequest {
  state: BanditState | null;
  from: readonly string[];
  to: readonly string[];
}

export interface UpdateResult {
  state: BanditState;
}

export interface ScorerHealth {
  ok: true;
  version: string;
  numpy: boolean;
}

export interface CallOptions {
  /** Sent as the `traceparent` header in HTTP mode; the child logs nothing per call, so it is not sent there. */
  traceparent?: string;
}

/**
 * Why a call got no answer: `timeout` (no reply within ML_TIMEOUT_MS), `down` (the child died and is
 * restarting, the remote is unreachable, or the scorer is not started or closed), `absent` (the
 * interpreter cannot be run at all), `busy` (too many calls already queued at the child), `error`
 * (the scorer refused the request; the message is its own).
 */
export type ScorerFailure = "timeout" | "down" | "absent" | "busy" | "error";

/** Every failed call, whatever the transport; callers fall back to their heuristic and record `reason`. */
export class ScorerUnavailable extends Error {
  override readonly name = "ScorerUnavailable";
  constructor(
    readonly reason: ScorerFailure,
    message: string,
  ) {
    super(message);
  }
}

/** A reply as it arrives: its id, and its error when the other side refused the request. */
export interface Reply {
  id: unknown;
  error?: unknown;
}

/**
 * Bare vectors go to the scorer as little-endian float64 values in base64 (`d` and `xs_f64`), and
 * their scores come back the same way (`scores_f64`): the very same doubles as in JSON, which the
 * scorer reads and writes in half the time decimal numbers take (a quarter less of its CPU a call).
 */
interface PackedState {
  /** Names this model (and no other) to a scorer that keeps the models it was sent. */
  ref: number;
  packed: { d: number; pulls: number; reward_sum: number; f64: string };
}

/** Each model's packed form, made once per model (a model is replaced, never changed, by an update). */
const packedStates = new WeakMap<BanditState, PackedState>();
let lastStateRef = 0;

/**
 * A model as the serving path sends it: A_inv (row by row) then b as little-endian float64 in
 * base64, with d, pulls and reward_sum beside. At d = 22 the decimal form costs the server ~90 µs
 * of CPU per decision and the scorer more to read; the packed one a few.
 */
function packState(state: BanditState): PackedState {
  let packed = packedStates.get(state);
  if (!packed) {
    const { d } = state;
    const bytes = Buffer.allocUnsafe((d * d + d) * 8); // every byte is written below
    state.A_inv.forEach((row, i) => row.forEach((value, j) => bytes.writeDoubleLE(value, (i * d + j) * 8)));
    state.b.forEach((value, i) => bytes.writeDoubleLE(value, (d * d + i) * 8));
    packed = { ref: ++lastStateRef, packed: { d, pulls: state.pulls, reward_sum: state.reward_sum, f64: bytes.toString("base64") } };
    packedStates.set(state, packed);
  }
  return packed;
}

/** How many models the scorer keeps by ref (`HELD_STATES` in ml/scorer.py). */
export const HELD_STATES = 4096;
/** The start of the scorer's error for a ref it no longer holds. */
export const UNKNOWN_STATE_REF = "unknown state ref";

/**
 * The models one scorer child was sent in full, which it keeps (the last 4,096 by use): the next
 * score of one of them sends its ref instead of ~5 KB at d = 22. Never more than the child keeps;
 * forgotten whenever the child answers that it does not hold a ref (it restarted, or let it go).
 */
export class HeldStates {
  private readonly sent = new Set<number>();

  /** The state field of a request: the ref alone when the child holds the model, else the model with its ref. */
  field(state: BanditState): object {
    const { ref, packed } = packState(state);
    if (this.sent.has(ref)) return { ref };
    if (this.sent.size >= HELD_STATES) this.sent.clear();
    this.sent.add(ref);
    return { ...packed, ref };
  }

  forget() {
    this.sent.clear();
  }
}

/** The largest value a vector sent in ten-thousandths (`xs_q16`) can hold. */
const Q16_MAX = 65_535 / 10_000;

/**
 * Bare vectors travel in binary: as ten-thousandths in little-endian uint16 (`xs_q16`) when every
 * value is one exactly (features are rounded to four decimals in [0, 1]: the scorer divides by
 * 10,000 and gets the very same doubles, at a quarter of float64's bytes), else as float64 (`xs_f64`).
 */
export function packScoreRequest(request: ScoreRequest, held?: HeldStates): object {
  if (!("xs" in request)) return request;
  const { xs, state, ...rest } = request;
  const d = xs[0]?.length ?? 0;
  const quantized = new Uint16Array(xs.length * d);
  let exact = true;
  xs.forEach((x, row) => {
    if (x.length !== d) throw new ScorerUnavailable("error", `xs[${row}] has ${x.length} values, xs[0] has ${d}`);
    for (let column = 0; exact && column < d; column++) {
      const value = x[column]!;
      // Most entries are indicators: 0 is already in place.
      if (value === 0) continue;
      const tenThousandths = value === 1 ? 10_000 : Math.round(value * 10_000);
      if (value > 0 && value <= Q16_MAX && tenThousandths / 10_000 === value) quantized[row * d + column] = tenThousandths;
      else exact = false;
    }
  });
  const packedState = state === null ? null : held ? held.field(state) : packState(state).packed;
  // Every platform the executable targets is little-endian, so the array's bytes are the wire's.
  if (exact) return { ...rest, state: packedState, d, xs_q16: Buffer.from(quantized.buffer).toString("base64") };
  const packed = Buffer.allocUnsafe(xs.length * d * 8); // every byte is written below
  xs.forEach((x, row) => x.forEach((value, column) => packed.writeDoubleLE(value, (row * d + column) * 8)));
  return { ...rest, state: packedState, d, xs_f64: packed.toString("base64") };
}

export function unpackScoreResult(reply: ScoreResult & { scores_f64?: unknown }): ScoreResult {
  if (typeof reply.scores_f64 !== "string") return reply;
  const { scores_f64, ...rest } = reply;
  const packed = Buffer.from(scores_f64, "base64");
  return { ...rest, scores: Array.from({ length: Math.floor(packed.length / 8) }, (_, index) => packed.readDoubleLE(index * 8)) };
}
