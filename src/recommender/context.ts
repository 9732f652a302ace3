import spec from "../../ml/features.json" with { type: "json" };
import { SECOND_MS } from "../time.ts";
import type { Clock, FeatureInput } from "./features.ts";

/**
 * How a decision is logged compactly yet completely: every candidate's vector can be rebuilt later
 * in any feature version, including versions written after the decision.
 *
 * A candidate's makings (`decision_candidates.makings`, stored once per person and version of them),
 * little-endian: kind and source (u8: bit 0 advice, bits 1-2 source: todoist, advice, llm, other),
 * category (u8: 0 none, 1 + its index in ml/features.json "categories", 255 another), priority (u8),
 * which dates follow (u8: bit 0 due, bit 1 added); then the due date and the date added, in
 * milliseconds since the epoch (f64 each, exact).
 *
 * A decision's context (`tip_views.context`): format (u8), local hour (u8), local weekday (u8, 0 =
 * Monday), then each candidate's ref in the person's `decision_candidates`, in the decision's order:
 * u16 in format 2, u32 in format 3 (a person past 65,535 candidate versions); in format 4, as runs
 * of consecutive refs, each its first ref and its length (unsigned LEB128 varints). A person's
 * candidates come in much the same order each time and take refs in that order when first seen, so
 * 50 candidates are a few runs: format 4 is written whenever it is the shorter.
 * Format 1, logged before `decision_candidates`: the makings inline after the clock, the due date as
 * whole seconds from the decision (i32) and the age in milliseconds (u32); the keys in
 * `tip_views.candidates`.
 */
const SOURCES = ["todoist", "advice", "llm"];
const CATEGORIES: readonly string[] = spec.categories;
const OTHER_CATEGORY = 255;
const U16_REFS = 2;
const U32_REFS = 3;
const REF_RUNS = 4;
const MAX_REFS = 1 << 20;

export function encodeMakings(candidate: FeatureInput): Buffer {
  const bytes = Buffer.allocUnsafe(4 + (candidate.dueAt !== null ? 8 : 0) + (candidate.addedAt !== null ? 8 : 0));
  writeHead(bytes, 0, candidate);
  let at = 4;
  if (candidate.dueAt !== null) at = bytes.writeDoubleLE(candidate.dueAt, at);
  if (candidate.addedAt !== null) bytes.writeDoubleLE(candidate.addedAt, at);
  return bytes;
}

export function decodeMakings(bytes: Uint8Array): FeatureInput {
  const view = bufferOf(bytes);
  const candidate = readHead(view, 0);
  const dates = view[3]!;
  let at = 4;
  if (dates & 1) {
    candidate.dueAt = view.readDoubleLE(at);
    at += 8;
  }
  if (dates & 2) candidate.addedAt = view.readDoubleLE(at);
  return candidate;
}

export function encodeContext(clock: Clock, refs: readonly number[]): Buffer {
  const runs = refRuns(refs);
  const wide = refs.some((ref) => ref > 0xffff);
  const listBytes = refs.length * (wide ? 4 : 2);
  const runBytes = runs.reduce((sum, [first, length]) => sum + varintBytes(first) + varintBytes(length), 0);
  const bytes = Buffer.allocUnsafe(3 + Math.min(listBytes, runBytes));
  bytes[0] = runBytes < listBytes ? REF_RUNS : wide ? U32_REFS : U16_REFS;
  bytes[1] = clock.hour;
  bytes[2] = clock.weekday;
  let at = 3;
  if (runBytes < listBytes) for (const [first, length] of runs) at = writeVarint(bytes, writeVarint(bytes, at, first), length);
  else for (const ref of refs) at = wide ? bytes.writeUInt32LE(ref, at) : bytes.writeUInt16LE(ref, at);
  return bytes;
}

/** `refs` as runs of consecutive refs: [first, length] each. */
function refRuns(refs: readonly number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const ref of refs) {
    const last = runs[runs.length - 1];
    if (last && last[0] + last[1] === ref) last[1]++;
    else runs.push([ref, 1]);
  }
  return runs;
}

const varintBytes = (value: number) => (value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5);

function writeVarint(bytes: Buffer, at: number, value: number): number {
  while (value >= 0x80) {
    bytes[at++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  bytes[at++] = value;
  return at;
}

/** A decision's context: its clock and its candidates' refs, or (format 1) the candidates themselves. */
export type DecisionContext = { clock: Clock; refs: number[] } | { clock: Clock; inline: FeatureInput[] };

/** The context of a decision served at `servedAt`; throws on one that does not read. */
export function decodeContext(bytes: Uint8Array, servedAt: number): DecisionContext {
  const view = bufferOf(bytes);
  const clock = { now: servedAt, hour: view[1]!, weekday: view[2]! };
  const format = view[0];
  if (format === REF_RUNS) {
    const refs: number[] = [];
    let at = 3;
    const varint = () => {
      let value = 0;
      for (let scale = 1; ; scale *= 0x80) {
        if (at >= view.length || scale > 0x10000000) throw new Error("decision context ends inside a run");
        const byte = view[at++]!;
        value += (byte & 0x7f) * scale;
        if (byte < 0x80) return value;
      }
    };
    while (at < view.length) {
      const first = varint();
      const length = varint();
      // A decision considers what a person has: a run past that is a damaged blob, not a list to build.
      if (refs.length + length > MAX_REFS) throw new Error("decision context holds more refs than a decision considers");
      for (let ref = first; ref < first + length; ref++) refs.push(ref);
    }
    return { clock, refs };
  }
  if (format === U16_REFS || format === U32_REFS) {
    const width = format === U16_REFS ? 2 : 4;
    if ((view.length - 3) % width !== 0) throw new Error("decision context ends inside a ref");
    const refs = Array.from({ length: (view.length - 3) / width }, (_, index) =>
      width === 2 ? view.readUInt16LE(3 + index * 2) : view.readUInt32LE(3 + index * 4),
    );
    return { clock, refs };
  }
  if (format !== 1) throw new Error(`decision context format ${format} is unknown`);
  const inline: FeatureInput[] = [];
  let at = 3;
  while (at < view.length) {
    if (at + 4 > view.length) throw new Error("decision context ends inside a candidate");
    const candidate = readHead(view, at);
    const dates = view[at + 3]!;
    at += 4;
    if (dates & 1) {
      candidate.dueAt = servedAt + view.readInt32LE(at) * SECOND_MS;
      at += 4;
    }
    if (dates & 2) {
      candidate.addedAt = servedAt - view.readUInt32LE(at);
      at += 4;
    }
    inline.push(candidate);
  }
  return { clock, inline };
}

/**
 * The serving policy's scores as `tip_views.scores` keeps them: float32, seven significant digits (the pick
 * itself is logged beside them). SQLite binds the typed array as a blob of its bytes.
 */
export const packScores = (scores: readonly number[]) => new Float32Array(scores);

/** Scores as logged: float32, or JSON numbers in decisions logged before they were packed. */
export function unpackScores(value: ArrayBufferView | string): number[] {
  if (typeof value === "string") return JSON.parse(value) as number[];
  const view = bufferOf(value);
  return Array.from({ length: view.length / 4 }, (_, index) => view.readFloatLE(index * 4));
}

function writeHead(bytes: Buffer, at: number, candidate: FeatureInput) {
  const source = SOURCES.indexOf(candidate.source);
  bytes[at] = (candidate.kind === "advice" ? 1 : 0) | ((source < 0 ? SOURCES.length : source) << 1);
  const category = candidate.category ? CATEGORIES.indexOf(candidate.category) : -1;
  bytes[at + 1] = !candidate.category ? 0 : category < 0 ? OTHER_CATEGORY : category + 1;
  bytes[at + 2] = Math.min(Math.max(Math.round(candidate.priority), 0), 255);
  bytes[at + 3] = (candidate.dueAt !== null ? 1 : 0) | (candidate.addedAt !== null ? 2 : 0);
}

function readHead(view: Buffer, at: number): FeatureInput {
  const kindSource = view[at]!;
  const category = view[at + 1]!;
  return {
    kind: kindSource & 1 ? "advice" : "todo",
    source: SOURCES[kindSource >> 1] ?? "other",
    category: category === 0 ? null : (CATEGORIES[category - 1] ?? "other"),
    priority: view[at + 2]!,
    dueAt: null,
    addedAt: null,
  };
}

const bufferOf = (bytes: ArrayBufferView) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
