import { AppError } from "../errors.ts";
import type { Db } from "../db/client.ts";
import { canonicalTimeZone } from "../time.ts";
import type { Profile, ProfileChanges } from "./model.ts";
import { profileRowOf, updateProfileRow } from "./queries.ts";

export function profileOf(db: Db, userId: string): Profile {
  const profile = profileRowOf(db, userId);
  if (!profile) throw new AppError("not_found", "not_found", "This account no longer exists.");
  return profile;
}

const CLOCK_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
const invalidProfile = (field: string, problem: string) => new AppError("invalid", "invalid_profile", `${field}: ${problem}`);

/**
 * Validates every change before writing any, so a bad field leaves the profile as it was.
 * Setting the timezone (from the browser or by hand) marks it confirmed.
 */
export function updateProfile(db: Db, userId: string, changes: ProfileChanges, now = Date.now()): Profile {
  const update: ProfileChanges & { timezoneConfirmed?: boolean } = {};
  if (changes.timezone !== undefined) {
    const timezone = canonicalTimeZone(changes.timezone);
    if (!timezone) throw invalidProfile("timezone", `"${changes.timezone.slice(0, 60)}" is not an IANA time zone such as Europe/Paris`);
    Object.assign(update, { timezone, timezoneConfirmed: true });
  }
  for (const field of ["quietHoursStart", "quietHoursEnd"] as const) {
    const value = changes[field];
    if (value === undefined) continue;
    if (!CLOCK_TIME.test(value)) throw invalidProfile(field, "use HH:MM on the 24-hour clock, such as 22:00");
    update[field] = value;
  }
  if (changes.pushOptIn !== undefined) update.pushOptIn = changes.pushOptIn;
  updateProfileRow(db, userId, update, now);
  return profileOf(db, userId);
}
