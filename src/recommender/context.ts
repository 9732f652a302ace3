import spec from "../../ml/features.json" with { type: "json" };
import { SECOND_MS } from "../time.ts";
import type { Clock, FeatureInput } from "./features.ts";

/**
 * What a decision saw, kept compactly in `tip_views.context` so the vector of every candidate can be
 * rebuilt later in any feature version, including versions written after the decision: the local
 * clock, and of each candidate (in the order of `tip_views.candidates`) what features are made of.
 *
 * Format 1, little-endian: format (u8), local hour (u8), local weekday (u8, 0 = Monday); then per
 * candidate: kind and source (u8: bit 0 advice, bits 1-2 source: todoist, advice, llm, other),
 * category (u8: 0 none, 1 + its index in ml/features.json "categories", 255 another), priority
 * (u8), which dates follow (u8: bit 0 due, bit 1 added); the due date as whole seconds from the
 * decision, rounded down (i32: overdue and due-soon compare the same); the age in milliseconds (u32,
 * up to 49.7 days, beyond which every version so far reads "old"). About 12 bytes a task, 4 an advice.
 */
export const CONTEXT_FORMAT = 1;
const SOURCES = ["todoist", "advice", "llm"];
const CATEGORIES: readonly string[] = spec.categories;
const OTHER_CATEGORY = 255;
const MAX_AGE_MS = 2 ** 32 - 1;
const I32_MAX = 2 ** 31 - 1;

export function encodeContext(candidates: readonly FeatureInput[], clock: Clock): Buffer {
  let size = 3;
  for (const candidate of candidates) size += 4 + (candidate.dueAt !== null ? 4 : 0) + (candidate.addedAt !== null ? 4 : 0);
  const bytes = Buffer.allocUnsafe(size); // every byte is written below
  bytes[0] = CONTEXT_FORMAT;
  bytes[1] = clock.hour;
  bytes[2] = clock.weekday;
  let at = 3;
  for (const candidate of candidates) {
    const source = SOURCES.indexOf(candidate.source);
    bytes[at] = (candidate.kind === "advice" ? 1 : 0) | ((source < 0 ? SOURCES.length : source) << 1);
    const category = candidate.category ? CATEGORIES.indexOf(candidate.category) : -1;
    bytes[at + 1] = !candidate.category ? 0 : category < 0 ? OTHER_CATEGORY : category + 1;
    bytes[at + 2] = Math.min(Math.max(Math.round(candidate.priority), 0), 255);
    bytes[at + 3] = (candidate.dueAt !== null ? 1 : 0) | (candidate.addedAt !== null ? 2 : 0);
    at += 4;
    if (candidate.dueAt !== null) {
      const seconds = Math.floor((candidate.dueAt - clock.now) / SECOND_MS);
      at = bytes.writeInt32LE(Math.min(Math.max(seconds, -I32_MAX), I32_MAX), at);
    }
    if (candidate.addedAt !== null) at = bytes.writeUInt32LE(Math.min(Math.max(clock.now - candidate.addedAt, 0), MAX_AGE_MS), at);
  }
  return bytes;
}

/** The clock and candidates a decision served at `servedAt` saw, from its context; throws on a context that does not read. */
export function decodeContext(bytes: Uint8Array, servedAt: number): { clock: Clock; candidates: FeatureInput[] } {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view[0] !== CONTEXT_FORMAT) throw new Error(`decision context format ${view[0]} is not ${CONTEXT_FORMAT}`);
  const clock = { now: servedAt, hour: view[1]!, weekday: view[2]! };
  const candidates: FeatureInput[] = [];
  let at = 3;
  while (at < view.length) {
    if (at + 4 > view.length) throw new Error("decision context ends inside a candidate");
    const kindSource = view[at]!;
    const category = view[at + 1]!;
    const dates = view[at + 3]!;
    const candidate: FeatureInput = {
      kind: kindSource & 1 ? "advice" : "todo",
      source: SOURCES[kindSource >> 1] ?? "other",
      category: category === 0 ? null : (CATEGORIES[category - 1] ?? "other"),
      priority: view[at + 2]!,
      dueAt: null,
      addedAt: null,
    };
    at += 4;
    if (dates & 1) {
      candidate.dueAt = servedAt + view.readInt32LE(at) * SECOND_MS;
      at += 4;
    }
    if (dates & 2) {
      candidate.addedAt = servedAt - view.readUInt32LE(at);
      at += 4;
    }
    candidates.push(candidate);
  }
  return { clock, candidates };
}
