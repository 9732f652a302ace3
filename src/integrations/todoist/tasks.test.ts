import { describe, expect, test } from "bun:test";
import { Value } from "@sinclair/typebox/value";
import { dueInstant, type TaskDue } from "../../time.ts";
import { type TodoistApiTask, TodoistApiTaskSchema, normalizeTask } from "./tasks.ts";

const at = (iso: string) => Date.parse(iso);

/** A task exactly as API v1 returns it. */
const apiTask: TodoistApiTask & Record<string, unknown> = {
  id: "6X7rM8997g3RQmvh",
  user_id: "2671355",
  project_id: "6Jf8VQXxpwv56VQ7",
  section_id: null,
  parent_id: null,
  added_by_uid: "2671355",
  assigned_by_uid: null,
  responsible_uid: null,
  labels: ["home", "quick"],
  deadline: { date: "2024-04-02", lang: "en" },
  duration: { amount: 2, unit: "day" },
  checked: false,
  is_deleted: false,
  added_at: "2024-03-01T08:15:00.123456Z",
  completed_at: null,
  updated_at: "2024-03-02T10:00:00.000000Z",
  due: { date: "2024-03-31", string: "31 mar", lang: "en", is_recurring: false, timezone: null },
  priority: 4,
  child_order: 3,
  content: "Buy milk",
  description: "the oat one",
  note_count: 0,
  day_order: -1,
  is_collapsed: false,
};

const due = (fields: Partial<TaskDue> & Pick<TaskDue, "kind">): TaskDue =>
  ({ date: "", datetime: null, timezone: null, isRecurring: false, string: "", ...fields }) as TaskDue;

describe("normalizeTask", () => {
  test("keeps what oO uses, in oO's names, and nothing else", () => {
    expect(Value.Check(TodoistApiTaskSchema, apiTask)).toBe(true);
    expect(normalizeTask(apiTask)).toEqual({
      id: "6X7rM8997g3RQmvh",
      content: "Buy milk",
      description: "the oat one",
      priority: 4,
      due: { kind: "date", date: "2024-03-31", datetime: null, timezone: null, isRecurring: false, string: "31 mar" },
      deadline: "2024-04-02",
      durationMinutes: 2 * 24 * 60,
      labels: ["home", "quick"],
      projectId: "6Jf8VQXxpwv56VQ7",
      addedAt: at("2024-03-01T08:15:00.123Z"),
      updatedAt: at("2024-03-02T10:00:00Z"),
    });
  });

  test("a bare task gets neutral defaults", () => {
    expect(normalizeTask({ id: "a1", content: "Call mum" })).toEqual({
      id: "a1",
      content: "Call mum",
      description: "",
      priority: 1,
      due: null,
      deadline: null,
      durationMinutes: null,
      labels: [],
      projectId: null,
      addedAt: null,
      updatedAt: null,
    });
    expect(normalizeTask({ id: "a2", content: "x", duration: { amount: 25, unit: "minute" } }).durationMinutes).toBe(25);
  });

  test("records which of the three due forms a task has", () => {
    const withDue = (date: string, extra: Partial<NonNullable<TodoistApiTask["due"]>> = {}) =>
      normalizeTask({ id: "t", content: "x", due: { date, string: "s", is_recurring: true, timezone: null, ...extra } }).due;

    expect(withDue("2024-03-10")).toMatchObject({ kind: "date", date: "2024-03-10", datetime: null, timezone: null, isRecurring: true });
    expect(withDue("2024-03-10T09:30:00")).toMatchObject({ kind: "floating", date: "2024-03-10", datetime: "2024-03-10T09:30:00", timezone: null });
    expect(withDue("2024-03-10T09:30")).toMatchObject({ kind: "floating", datetime: "2024-03-10T09:30:00" });
    expect(withDue("2024-03-10T23:30:00.000000Z", { timezone: "Europe/Paris" })).toEqual({
      kind: "instant",
      // The calendar date where the task was set, not in UTC.
      date: "2024-03-11",
      datetime: "2024-03-10T23:30:00.000Z",
      timezone: "Europe/Paris",
      isRecurring: true,
      string: "s",
    });
    expect(withDue("2024-03-10T23:30:00+02:00")).toMatchObject({ kind: "instant", date: "2024-03-10", datetime: "2024-03-10T21:30:00.000Z", timezone: null });
    expect(withDue("2024-03-10T23:30:00Z", { timezone: "Not/AZone" })).toMatchObject({ kind: "instant", date: "2024-03-10" });
  });

  test("an impossible date is refused by task id, never by content", () => {
    for (const date of ["2024-02-30", "2024-02-29T25:00:00", "2023-02-29T10:00:00Z"]) {
      expect(() => normalizeTask({ id: "t9", content: "secret plans", due: { date, string: "", is_recurring: false, timezone: null } })).toThrow(
        new RangeError("task t9 has an invalid due date"),
      );
    }
  });

  test("the schema refuses a malformed due date or priority", () => {
    const bad = [
      { ...apiTask, due: { ...apiTask.due!, date: "next tuesday" } },
      { ...apiTask, priority: 5 },
      { ...apiTask, id: "" },
      { ...apiTask, duration: { amount: 0, unit: "minute" } },
    ];
    for (const task of bad) expect(Value.Check(TodoistApiTaskSchema, task)).toBe(false);
  });
});

describe("dueInstant", () => {
  test("no due date, no instant", () => {
    expect(dueInstant(null, "Europe/Paris")).toBeNull();
  });

  test("an all-day date lasts until the user's day ends", () => {
    const day = due({ kind: "date", date: "2024-06-15" });
    expect(dueInstant(day, "Europe/Paris")).toBe(at("2024-06-15T21:59:59.999Z"));
    expect(dueInstant(day, "America/New_York")).toBe(at("2024-06-16T03:59:59.999Z"));
    expect(dueInstant(day, "Asia/Kolkata")).toBe(at("2024-06-15T18:29:59.999Z"));

    // 20:00 UTC on the 15th: still the 15th in Los Angeles, already the 16th in Tokyo.
    const now = at("2024-06-15T20:00:00Z");
    expect(now > dueInstant(day, "America/Los_Angeles")!).toBe(false);
    expect(now > dueInstant(day, "Asia/Tokyo")!).toBe(true);
  });

  test("all-day dates on DST days end at the real midnight (23 h and 25 h days)", () => {
    // Spring forward: 2024-03-31 in Paris, 2024-03-10 in New York; the next midnight is summer time.
    expect(dueInstant(due({ kind: "date", date: "2024-03-31" }), "Europe/Paris")).toBe(at("2024-03-31T21:59:59.999Z"));
    expect(dueInstant(due({ kind: "date", date: "2024-03-10" }), "America/New_York")).toBe(at("2024-03-11T03:59:59.999Z"));
    // Fall back: 2024-10-27 in Paris, 2024-11-03 in New York; the next midnight is winter time.
    expect(dueInstant(due({ kind: "date", date: "2024-10-27" }), "Europe/Paris")).toBe(at("2024-10-27T22:59:59.999Z"));
    expect(dueInstant(due({ kind: "date", date: "2024-11-03" }), "America/New_York")).toBe(at("2024-11-04T04:59:59.999Z"));
    // The day before a change still ends at the old offset's midnight.
    expect(dueInstant(due({ kind: "date", date: "2024-03-30" }), "Europe/Paris")).toBe(at("2024-03-30T22:59:59.999Z"));
  });

  test("a floating time is that wall time wherever the user is", () => {
    const nine = due({ kind: "floating", date: "2024-01-15", datetime: "2024-01-15T09:00:00" });
    expect(dueInstant(nine, "Europe/Paris")).toBe(at("2024-01-15T08:00:00Z"));
    expect(dueInstant(nine, "America/New_York")).toBe(at("2024-01-15T14:00:00Z"));
    expect(dueInstant(nine, "UTC")).toBe(at("2024-01-15T09:00:00Z"));

    const summerNine = due({ kind: "floating", date: "2024-07-15", datetime: "2024-07-15T09:00:00" });
    expect(dueInstant(summerNine, "Europe/Paris")).toBe(at("2024-07-15T07:00:00Z"));
    expect(dueInstant(summerNine, "America/New_York")).toBe(at("2024-07-15T13:00:00Z"));
  });

  test("a floating time skipped by spring-forward moves forward by the gap", () => {
    // 02:30 does not exist on these nights; a clock set before the change shows 03:30.
    expect(dueInstant(due({ kind: "floating", date: "2024-03-31", datetime: "2024-03-31T02:30:00" }), "Europe/Paris")).toBe(
      at("2024-03-31T01:30:00Z"),
    );
    expect(dueInstant(due({ kind: "floating", date: "2024-03-10", datetime: "2024-03-10T02:30:00" }), "America/New_York")).toBe(
      at("2024-03-10T07:30:00Z"),
    );
    // Just either side of the gap.
    expect(dueInstant(due({ kind: "floating", date: "2024-03-31", datetime: "2024-03-31T01:59:59" }), "Europe/Paris")).toBe(
      at("2024-03-31T00:59:59Z"),
    );
    expect(dueInstant(due({ kind: "floating", date: "2024-03-31", datetime: "2024-03-31T03:00:00" }), "Europe/Paris")).toBe(
      at("2024-03-31T01:00:00Z"),
    );
  });

  test("a floating time repeated by fall-back is its first occurrence", () => {
    expect(dueInstant(due({ kind: "floating", date: "2024-10-27", datetime: "2024-10-27T02:30:00" }), "Europe/Paris")).toBe(
      at("2024-10-27T00:30:00Z"),
    );
    expect(dueInstant(due({ kind: "floating", date: "2024-11-03", datetime: "2024-11-03T01:30:00" }), "America/New_York")).toBe(
      at("2024-11-03T05:30:00Z"),
    );
  });

  test("a fixed instant ignores the user's zone", () => {
    const fixed = due({ kind: "instant", date: "2024-03-31", datetime: "2024-03-31T07:00:00.000Z", timezone: "Europe/Paris" });
    expect(dueInstant(fixed, "Europe/Paris")).toBe(at("2024-03-31T07:00:00Z"));
    expect(dueInstant(fixed, "America/New_York")).toBe(at("2024-03-31T07:00:00Z"));
  });

  test("from API task to instant, end to end", () => {
    const task = normalizeTask({ id: "t", content: "x", due: { date: "2024-11-03T01:30:00", string: "", is_recurring: false, timezone: null } });
    expect(dueInstant(task.due, "America/New_York")).toBe(at("2024-11-03T05:30:00Z"));
  });

  test("an unknown user zone is an error, not a silent UTC", () => {
    expect(() => dueInstant(due({ kind: "date", date: "2024-06-15" }), "Mars/Olympus")).toThrow(RangeError);
  });
});
