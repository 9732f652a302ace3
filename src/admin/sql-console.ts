import { and, asc, eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { savedQueries } from "../db/schema.ts";
import { AppError } from "../errors.ts";
import type { AuditLog } from "./audit.ts";
import type { SavedQueries } from "./model.ts";
import { runReadOnly, type SqlResult } from "./sql.ts";

/** A cell as a spreadsheet should show it: quoted when needed, and never read as a formula. */
function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? "" : typeof value === "object" ? JSON.stringify(value) : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const toCsv = (result: SqlResult) => [result.columns, ...result.rows].map((row) => row.map(csvCell).join(",")).join("\r\n") + "\r\n";

/** The console's SQL runner: every query audited, each admin's saved queries. */
export class SqlConsole {
  constructor(private readonly deps: { db: Db; databasePath: string; audit: AuditLog }) {}

  async run(adminId: string, sql: string): Promise<SqlResult> {
    const detail = sql.length > 200 ? `${sql.slice(0, 200)}…` : sql;
    try {
      const result = await runReadOnly(this.deps.databasePath, sql);
      this.deps.audit.record({ actorId: adminId, action: "sql.run", result: "ok", detail });
      return result;
    } catch (error) {
      this.deps.audit.record({ actorId: adminId, action: "sql.run", result: "failed", detail });
      throw error;
    }
  }

  saved(adminId: string): SavedQueries {
    const queries = this.deps.db
      .select({ id: savedQueries.id, name: savedQueries.name, sql: savedQueries.sql, createdAt: savedQueries.createdAt })
      .from(savedQueries)
      .where(eq(savedQueries.userId, adminId))
      .orderBy(asc(savedQueries.name))
      .all();
    return { queries };
  }

  one(adminId: string, id: number) {
    const query = this.saved(adminId).queries.find((saved) => saved.id === id);
    if (!query) throw new AppError("not_found", "no_such_query", "There is no such saved query.");
    return query;
  }

  save(adminId: string, name: string, sql: string, now = Date.now()) {
    if (!name.trim()) throw new AppError("invalid", "name_required", "Give the query a name to save it.");
    return this.deps.db.insert(savedQueries).values({ userId: adminId, name: name.trim(), sql, createdAt: now }).returning({ id: savedQueries.id }).get();
  }

  remove(adminId: string, id: number) {
    const gone = this.deps.db.delete(savedQueries).where(and(eq(savedQueries.id, id), eq(savedQueries.userId, adminId))).returning({ id: savedQueries.id }).all();
    if (gone.length === 0) throw new AppError("not_found", "no_such_query", "There is no such saved query.");
  }
}
