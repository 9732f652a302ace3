import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Times are integer milliseconds since the epoch, UTC. */

/** Instance-wide settings and markers (schema version notes, feature flags). */
export const meta = sqliteTable("meta", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** The durable signal store: every event published on the bus. */
export const events = sqliteTable(
  "events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    subject: text("subject").notNull(),
    userId: text("user_id"),
    payload: text("payload").notNull(),
    at: integer("at").notNull(),
  },
  (table) => [
    index("events_at_idx").on(table.at),
    index("events_user_at_idx").on(table.userId, table.at),
    index("events_subject_at_idx").on(table.subject, table.at),
  ],
);
