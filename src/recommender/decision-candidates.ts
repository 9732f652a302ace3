import type { Database } from "bun:sqlite";
import { CappedMap, PER_PERSON_CACHE_LIMIT } from "../capped-map.ts";
import { DAY_MS } from "../time.ts";
import type { Candidate } from "./candidates/index.ts";
import { decodeMakings, encodeMakings } from "./context.ts";
import type { FeatureInput } from "./features.ts";

interface Entry {
  ref: number;
  createdAt: number;
}

/** One person's candidates as logged: by makings (key and bytes), and by the very objects last seen. */
interface Person {
  byMakings: Map<string, Entry>;
  byObject: WeakMap<Candidate, Entry>;
  nextRef: number;
  /** The last list logged, its refs and when the oldest of them was written: from one decision to the next it is usually the very same list. */
  last: { candidates: Candidate[]; refs: number[]; oldest: number } | null;
}

export interface NewCandidateRow {
  userId: string;
  ref: number;
  key: string;
  makings: Buffer;
  createdAt: number;
}

/** Every candidate row of a person, by ref. */
function candidateRows(sqlite: Database, userId: string) {
  return sqlite
    .query<{ ref: number; candidate_key: string; makings: Uint8Array; created_at: number }, [string]>(
      "SELECT ref, candidate_key, makings, created_at FROM decision_candidates WHERE user_id = ? ORDER BY ref",
    )
    .all(userId);
}

/** Every candidate a person's decisions reference, by ref: for reading many decisions at once. */
export function loggedCandidates(sqlite: Database, userId: string): Map<number, { key: string; input: FeatureInput }> {
  return new Map(candidateRows(sqlite, userId).map((row) => [row.ref, { key: row.candidate_key, input: decodeMakings(row.makings) }]));
}

/**
 * `decision_candidates`: each person's candidates stored once per version of their makings, so a
 * decision logs a ref per candidate (a few bytes for a whole list, `context.ts`). Refs are handed out here, in the single process
 * that writes the decision log; a person's rows are read once per process, when first needed.
 */
export class DecisionCandidates {
  private readonly people = new CappedMap<string, Person>(PER_PERSON_CACHE_LIMIT);
  private readonly insert;
  private readonly lookup;

  /** A row older than half the retention period is written again, so rows past one and a half periods are referenced by no decision left. */
  constructor(
    private readonly sqlite: Database,
    private readonly retentionDays: number,
  ) {
    this.insert = sqlite.query("INSERT INTO decision_candidates (user_id, ref, candidate_key, makings, created_at) VALUES (?, ?, ?, ?, ?)");
    this.lookup = sqlite.query<{ makings: Uint8Array }, [string, string, string]>(
      "SELECT makings FROM decision_candidates WHERE user_id = ? AND candidate_key = ? AND ref IN (SELECT value FROM json_each(?))",
    );
  }

  /**
   * The refs of a decision's candidates, in order, and the rows to write with it (candidates new to
   * the log, changed, or due to be written again). Synchronous, so two decisions never share a ref.
   */
  refsOf(userId: string, candidates: Candidate[], now: number): { refs: number[]; rows: NewCandidateRow[] } {
    const person = this.person(userId);
    const last = person.last;
    if (
      last &&
      now - last.oldest < this.refreshMs &&
      last.candidates.length === candidates.length &&
      last.candidates.every((candidate, index) => candidate === candidates[index])
    ) {
      return { refs: last.refs, rows: [] };
    }
    const rows: NewCandidateRow[] = [];
    let oldest = now;
    const refs = candidates.map((candidate) => {
      const known = person.byObject.get(candidate);
      if (known && now - known.createdAt < this.refreshMs) {
        oldest = Math.min(oldest, known.createdAt);
        return known.ref;
      }
      const makings = encodeMakings(candidate);
      const identity = `${candidate.key}\u0000${makings.toString("latin1")}`;
      let entry = person.byMakings.get(identity);
      if (!entry || now - entry.createdAt >= this.refreshMs) {
        entry = { ref: person.nextRef++, createdAt: now };
        person.byMakings.set(identity, entry);
        rows.push({ userId, ref: entry.ref, key: candidate.key, makings, createdAt: now });
      }
      person.byObject.set(candidate, entry);
      oldest = Math.min(oldest, entry.createdAt);
      return entry.ref;
    });
    person.last = { candidates, refs, oldest };
    return { refs, rows };
  }

  /** Writes new rows; inside the decision's own commit. */
  write(rows: NewCandidateRow[]) {
    for (const row of rows) this.insert.run(row.userId, row.ref, row.key, row.makings, row.createdAt);
  }

  /** What the candidate `key` among a decision's `refs` was made of; null if its row is gone. */
  makingsOf(userId: string, refs: readonly number[], key: string): FeatureInput | null {
    const row = this.lookup.get(userId, key, JSON.stringify(refs));
    return row ? decodeMakings(row.makings) : null;
  }

  /**
   * Drops the rows written before `cutoff` (referenced by no decision left), one person at a time,
   * each in a short transaction of its own: the table is laid out by person only (no index by
   * time to write on every decision), so each person's rows are read through the key. Returns how
   * many went.
   */
  async purgeBefore(cutoff: number, signal?: AbortSignal): Promise<number> {
    const next = this.sqlite.query<{ user_id: string }, [string]>("SELECT user_id FROM decision_candidates WHERE user_id > ? ORDER BY user_id LIMIT 1");
    const purge = this.sqlite.query<never, [string, number]>("DELETE FROM decision_candidates WHERE user_id = ? AND created_at < ?");
    let purged = 0;
    for (let row = next.get(""), people = 0; row && !signal?.aborted; row = next.get(row.user_id), people++) {
      purged += purge.run(row.user_id, cutoff).changes;
      // Requests go on between people.
      if (people % 100 === 99) await Bun.sleep(0);
    }
    return purged;
  }

  /** After a failed commit (refs handed out but not written) or an account deleted. */
  forget(userId: string) {
    this.people.delete(userId);
  }

  private get refreshMs() {
    return (this.retentionDays * DAY_MS) / 2;
  }

  private person(userId: string): Person {
    let person = this.people.get(userId);
    if (person) return person;
    person = { byMakings: new Map(), byObject: new WeakMap(), nextRef: 0, last: null };
    for (const row of candidateRows(this.sqlite, userId)) {
      person.byMakings.set(`${row.candidate_key}\u0000${Buffer.from(row.makings).toString("latin1")}`, { ref: row.ref, createdAt: row.created_at });
      person.nextRef = row.ref + 1;
    }
    this.people.set(userId, person);
    return person;
  }
}
