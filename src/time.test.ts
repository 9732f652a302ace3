import { describe, expect, test } from "bun:test";
import { canonicalTimeZone, instantOfWallTime, zonedParts, zoneOffsetMs } from "./time.ts";

describe("time zones", () => {
  test("wall clock of an instant in two zones", () => {
    const instant = Date.UTC(2026, 10, 21, 23, 30); // Saturday 23:30 UTC
    expect(zonedParts(instant, "UTC")).toMatchObject({ hour: 23, minute: 30, weekday: 5, day: 21 });
    expect(zonedParts(instant, "Asia/Tokyo")).toMatchObject({ hour: 8, minute: 30, weekday: 6, day: 22 });
    expect(zonedParts(instant, "America/Los_Angeles")).toMatchObject({ hour: 15, weekday: 5 });
  });

  test("offsets follow daylight saving time", () => {
    expect(zoneOffsetMs(Date.UTC(2026, 0, 15), "Europe/Paris")).toBe(3600_000);
    expect(zoneOffsetMs(Date.UTC(2026, 6, 15), "Europe/Paris")).toBe(7200_000);
    expect(zoneOffsetMs(Date.UTC(2026, 6, 15), "America/New_York")).toBe(-4 * 3600_000);
  });

  test("wall time to instant, including across DST changes", () => {
    expect(instantOfWallTime(Date.UTC(2026, 6, 15, 9), "Europe/Paris")).toBe(Date.UTC(2026, 6, 15, 7));
    expect(instantOfWallTime(Date.UTC(2026, 0, 15, 9), "Europe/Paris")).toBe(Date.UTC(2026, 0, 15, 8));
    // The night Paris springs forward (2026-03-29, 02:00 → 03:00): 01:30 is still winter time.
    expect(instantOfWallTime(Date.UTC(2026, 2, 29, 1, 30), "Europe/Paris")).toBe(Date.UTC(2026, 2, 29, 0, 30));
    expect(instantOfWallTime(Date.UTC(2026, 2, 29, 4), "Europe/Paris")).toBe(Date.UTC(2026, 2, 29, 2));
    // In the gap, 02:30 does not exist; it reads as 03:30 summer time.
    expect(instantOfWallTime(Date.UTC(2026, 2, 29, 2, 30), "Europe/Paris")).toBe(Date.UTC(2026, 2, 29, 1, 30));
  });

  test("zone names are validated", () => {
    expect(canonicalTimeZone("Europe/Berlin")).toBe("Europe/Berlin");
    expect(canonicalTimeZone("europe/berlin")).toBe("Europe/Berlin");
    expect(canonicalTimeZone("Mars/Olympus")).toBeUndefined();
    expect(canonicalTimeZone("+01:00")).toBeUndefined();
    expect(canonicalTimeZone("")).toBeUndefined();
  });
});
