import { Type } from "@sinclair/typebox";
import { Elysia, t } from "elysia";
import { AuditPage } from "../../views/admin/audit.tsx";
import { BackupsPage } from "../../views/admin/backups.tsx";
import { DocsPage } from "../../views/admin/docs.tsx";
import { EventsPage, LiveTail } from "../../views/admin/events.tsx";
import { DataQualityPage } from "../../views/admin/quality.tsx";
import { HealthPage, HealthReportView } from "../../views/admin/health.tsx";
import { JobsPage, LogsPage } from "../../views/admin/jobs.tsx";
import { OverviewPage } from "../../views/admin/overview.tsx";
import { SettingsPage } from "../../views/admin/settings.tsx";
import { SqlPage } from "../../views/admin/sql.tsx";
import { ConfirmActionPage, UserPage, UsersPage } from "../../views/admin/users.tsx";
import { showFormOnError } from "../http/errors.ts";
import { availableActions } from "./users.ts";
import type { Runtime } from "../runtime.ts";
import {
  ActionResultSchema,
  AuditListSchema,
  AuditQuery,
  BackupListSchema,
  BackupParams,
  BackupsPageQuery,
  CreatedBackupSchema,
  DataQualitySchema,
  EventHistoryQuery,
  HealthReportSchema,
  EventHistorySchema,
  JobParams,
  JobsPageQuery,
  JobsSchema,
  LiveEventsQuery,
  LiveEventsSchema,
  LogsQuery,
  LogsSchema,
  SavedQueriesSchema,
  SettingsValuesSchema,
  settingsFormSchema,
  settingsPatchSchema,
  SavedQueryBody,
  SavedQueryParams,
  SqlBody,
  SqlForm,
  SqlPageQuery,
  SqlResultSchema,
  StatsSchema,
  UserActionBody,
  UserActionForm,
  UserDetailSchema,
  UserListSchema,
  UsersQuery,
} from "./model.ts";
import { overviewStats } from "./overview.ts";
import { dataQuality } from "./quality.ts";
import { toCsv } from "./sql-console.ts";

const UserParams = t.Object({ id: t.String({ minLength: 1, maxLength: 100 }) });

/**
 * The admin console: each page is HTML at /admin/… and the same data as JSON at /api/admin/…,
 * from one function. Every route needs an admin: the guard is applied once, here.
 */
export function adminRoutes({ modules }: Runtime) {
  const { users, audit, operations, sql, backups, settings, health } = modules.admin;
  const stats = () => overviewStats(modules.recommender.activity());
  const quality = () => dataQuality({ recommender: modules.recommender, integrations: modules.integrations });
  const listOf = (query: typeof UsersQuery.static) => users.list({ search: query.q, after: query.after, limit: query.limit });
  const userPage = (adminId: string, userId: string, notices: { done?: string; failed?: string } = {}) => {
    const detail = users.detail(userId);
    return UserPage({ detail, actions: availableActions(detail, adminId), ...notices });
  };
  const auditOf = (query: typeof AuditQuery.static) =>
    audit.list({ action: query.action || undefined, target: query.target || undefined, before: query.before, limit: query.limit ?? 50 });
  return (
    new Elysia({ name: "admin" })
      .use(modules.auth.guards)
      .guard({ requireAdmin: true })
      .onAfterHandle(({ set }) => {
        set.headers["cache-control"] = "no-store";
      })
      .get("/api/admin/stats", () => stats(), { response: StatsSchema })
      .get("/admin", () => OverviewPage({ stats: stats() }))
      .get("/api/admin/users", ({ query }) => listOf(query), { query: UsersQuery, response: UserListSchema })
      .get("/admin/users", ({ query }) => UsersPage({ list: listOf(query), search: query.q ?? "", limit: query.limit }), { query: UsersQuery })
      .get("/api/admin/users/:id", ({ params }) => users.detail(params.id), { params: UserParams, response: UserDetailSchema })
      .get("/admin/users/:id", ({ user, params }) => userPage(user.id, params.id), { params: UserParams })
      .post("/api/admin/users/:id/actions", async ({ user, params, body }) => ({ ok: true as const, message: await users.act(user.id, params.id, body.action) }), {
        params: UserParams,
        body: UserActionBody,
        response: ActionResultSchema,
      })
      // The page's forms: the first post asks, the confirmed one acts and shows what it did.
      .post(
        "/admin/users/:id/actions",
        async ({ user, params, body, request }) => {
          const detail = users.detail(params.id);
          if (body.confirm !== "yes") return ConfirmActionPage({ detail, action: body.action });
          showFormOnError(request, (error) => userPage(user.id, params.id, { failed: error.message }));
          const done = await users.act(user.id, params.id, body.action);
          if (body.action === "delete") return UsersPage({ list: listOf({}), search: "", notice: done });
          return userPage(user.id, params.id, { done });
        },
        { params: UserParams, body: UserActionForm },
      )
      .get("/api/admin/events", ({ query }) => operations.liveEvents(query), { query: LiveEventsQuery, response: LiveEventsSchema })
      .get("/api/admin/events/history", ({ query }) => operations.eventHistory(query), { query: EventHistoryQuery, response: EventHistorySchema })
      .get(
        "/admin/events",
        ({ query }) => {
          const filters = { subject: query.subject ?? "", user: query.user ?? "", from: query.from ?? "", to: query.to ?? "" };
          return EventsPage({ live: operations.liveEvents(query), history: operations.eventHistory(query), filters });
        },
        { query: EventHistoryQuery },
      )
      .get("/admin/events/live", ({ query }) => LiveTail({ live: operations.liveEvents(query), filters: { subject: query.subject ?? "", user: query.user ?? "" } }), {
        query: LiveEventsQuery,
      })
      .get("/api/admin/jobs", () => operations.jobs(), { response: JobsSchema })
      .get("/admin/jobs", ({ query }) => JobsPage({ jobs: operations.jobs(), done: operations.startedNotice(query.started) ?? undefined }), { query: JobsPageQuery })
      .post("/api/admin/jobs/:name/run", ({ user, params, set }) => {
        const message = operations.runJob(user.id, params.name);
        set.status = 202;
        return { ok: true as const, message };
      }, { params: JobParams, response: { 202: ActionResultSchema } })
      // After a form's action, the page it sends the browser to: a reload shows it again instead of acting again.
      .post(
        "/admin/jobs/:name/run",
        ({ user, params, redirect }) => {
          operations.runJob(user.id, params.name);
          return redirect(`/admin/jobs?started=${encodeURIComponent(params.name)}`, 303);
        },
        { params: JobParams },
      )
      .get("/api/admin/logs", ({ query }) => operations.logs(query.level), { query: LogsQuery, response: LogsSchema })
      .get("/admin/logs", ({ query }) => LogsPage({ logs: operations.logs(query.level), level: query.level ?? "warn" }), { query: LogsQuery })
      .post("/api/admin/sql", ({ user, body }) => sql.run(user.id, body.sql), { body: SqlBody, response: SqlResultSchema })
      .get("/admin/sql", ({ user, query }) => SqlPage({ sql: query.saved ? sql.one(user.id, query.saved).sql : "", saved: sql.saved(user.id) }), { query: SqlPageQuery })
      .post(
        "/admin/sql",
        async ({ user, body, set, request }) => {
          showFormOnError(request, (error) => SqlPage({ sql: body.sql, failed: error.message, saved: sql.saved(user.id) }));
          const result = await sql.run(user.id, body.sql);
          if (body.format !== "csv") return SqlPage({ sql: body.sql, result, saved: sql.saved(user.id) });
          set.headers["content-type"] = "text/csv; charset=utf-8";
          set.headers["content-disposition"] = `attachment; filename="oo-query-${new Date().toISOString().slice(0, 19).replaceAll(":", "")}.csv"`;
          return toCsv(result);
        },
        { body: SqlForm },
      )
      .get("/api/admin/saved-queries", ({ user }) => sql.saved(user.id), { response: SavedQueriesSchema })
      .post(
        "/api/admin/saved-queries",
        ({ user, body, set }) => {
          set.status = 201;
          return sql.save(user.id, body.name, body.sql);
        },
        { body: SavedQueryBody, response: { 201: t.Object({ id: Type.Integer() }) } },
      )
      .delete(
        "/api/admin/saved-queries/:id",
        ({ user, params }) => {
          sql.remove(user.id, params.id);
          return { deleted: true as const };
        },
        { params: SavedQueryParams, response: t.Object({ deleted: t.Literal(true) }) },
      )
      .post(
        "/admin/saved-queries",
        ({ user, body, request, redirect }) => {
          showFormOnError(request, (error) => SqlPage({ sql: body.sql, failed: error.message, saved: sql.saved(user.id) }));
          return redirect(`/admin/sql?saved=${sql.save(user.id, body.name ?? "", body.sql).id}`, 303);
        },
        { body: SqlForm },
      )
      .post(
        "/admin/saved-queries/:id/delete",
        ({ user, params, redirect }) => {
          sql.remove(user.id, params.id);
          return redirect("/admin/sql", 303);
        },
        { params: SavedQueryParams },
      )
      .get("/api/admin/data-quality", () => quality(), { response: DataQualitySchema })
      .get("/admin/data-quality", () => DataQualityPage({ quality: quality() }))
      .get("/api/admin/health", () => health.report(), { response: HealthReportSchema })
      .get("/admin/health", () => HealthPage({ report: health.report() }))
      .get("/admin/health/report", () => HealthReportView({ report: health.report() }))
      .get("/api/admin/backups", () => backups.list(), { response: BackupListSchema })
      .post(
        "/api/admin/backups",
        async ({ user, set }) => {
          const backup = await backups.take(user.id);
          set.status = 201;
          return backup;
        },
        { response: { 201: CreatedBackupSchema } },
      )
      .get(
        "/api/admin/backups/:name",
        ({ user, params, set }) => {
          const path = backups.download(user.id, params.name);
          set.headers["content-type"] = "application/vnd.sqlite3";
          set.headers["content-disposition"] = `attachment; filename="${params.name}"`;
          return Bun.file(path);
        },
        { params: BackupParams },
      )
      .get("/admin/backups", ({ query }) => BackupsPage({ list: backups.list(), kept: settings.get().backupsKept, done: backups.doneNotice(query.done) ?? undefined }), {
        query: BackupsPageQuery,
      })
      .post("/admin/backups", async ({ user, request, redirect }) => {
        showFormOnError(request, (error) => BackupsPage({ list: backups.list(), kept: settings.get().backupsKept, failed: error.message }));
        const backup = await backups.take(user.id);
        return redirect(`/admin/backups?done=${encodeURIComponent(backup.name)}`, 303);
      })
      .get("/admin/docs", () => DocsPage())
      .get("/api/admin/audit", ({ query }) => auditOf(query), { query: AuditQuery, response: AuditListSchema })
      .get("/admin/audit", ({ query }) => AuditPage({ list: auditOf(query), action: query.action ?? "", target: query.target ?? "" }), { query: AuditQuery })
  );
}

/** The console's Settings page and its API: a form and a PATCH per section, each checked by that section's schema. */
export function settingsRoutes({ modules }: Runtime) {
  const { settingsAdmin } = modules.admin;
  const page = (notices: { done?: string; failed?: string; typed?: { section: string; form: Record<string, unknown> } } = {}) =>
    SettingsPage({ sections: settingsAdmin.view(), ...notices });
  const routes = new Elysia({ name: "admin-settings" })
    .use(modules.auth.guards)
    .guard({ requireAdmin: true })
    .onAfterHandle(({ set }) => {
      set.headers["cache-control"] = "no-store";
    })
    .get("/api/admin/settings", () => settingsAdmin.values(), { response: SettingsValuesSchema })
    .get("/admin/settings", () => page());
  for (const section of settingsAdmin.sections) {
    routes
      .patch(`/api/admin/settings/${section.name}`, ({ user, body }) => ({ ok: true as const, message: settingsAdmin.update(user.id, section.name, body) }), {
        body: settingsPatchSchema(section.schema),
        response: ActionResultSchema,
      })
      .post(
        `/admin/settings/${section.name}`,
        ({ user, body, request }) => {
          // A refusal shows the form as it was sent, so nothing typed is lost.
          showFormOnError(request, (error) => page({ failed: error.message, typed: { section: section.name, form: body } }));
          return page({ done: settingsAdmin.updateFromForm(user.id, section.name, body) });
        },
        { body: settingsFormSchema(section.schema) },
      );
  }
  return routes;
}
