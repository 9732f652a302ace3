import type { Role } from "../auth/model.ts";
import { SessionStore } from "../auth/service.ts";
import type { DatabaseHandle } from "../db/client.ts";
import { users } from "../db/schema.ts";

export interface SignedIn {
  userId: string;
  token: string;
  /** The `cookie` request header value. */
  cookie: string;
}

/** Creates a user (and a session for them) directly in the database. */
export function signIn(
  database: DatabaseHandle,
  options: { role?: Role; timezone?: string; email?: string; name?: string } = {},
): SignedIn {
  const now = Date.now();
  const userId = crypto.randomUUID();
  database.db
    .insert(users)
    .values({
      id: userId,
      email: options.email ?? `${userId.slice(0, 8)}@example.test`,
      name: options.name ?? "Test Person",
      role: options.role ?? "user",
      timezone: options.timezone ?? "UTC",
      timezoneConfirmed: options.timezone !== undefined,
      createdAt: now,
      updatedAt: now,
    })
    .run();
  const { token } = new SessionStore(database.db).create(userId, "user");
  return { userId, token, cookie: `sid=${token}` };
}
