import { Elysia } from "elysia";
import { OverviewPage } from "../../views/admin/overview.tsx";
import type { Runtime } from "../runtime.ts";
import { StatsSchema } from "./model.ts";
import { overviewStats } from "./overview.ts";

/**
 * The admin console: each page is HTML at /admin/… and the same figures as JSON at /api/admin/…,
 * from one function. Every route needs an admin: the guard is applied once, here.
 */
export function adminRoutes({ modules }: Runtime) {
  const stats = () => overviewStats(modules.recommender.activity());
  return new Elysia({ name: "admin" })
    .use(modules.auth.guards)
    .guard({ requireAdmin: true })
    .get("/api/admin/stats", () => stats(), { response: StatsSchema })
    .get("/admin", ({ set }) => {
      set.headers["cache-control"] = "no-store";
      return OverviewPage({ stats: stats() });
    });
}
