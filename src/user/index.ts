import { Elysia } from "elysia";
import { AccountPage } from "../../views/account.tsx";
import { type authGuards, clearSessionCookie } from "../auth/guards.ts";
import { SESSION_COOKIE } from "../auth/service.ts";
import type { Config } from "../config.ts";
import { AppError } from "../http/errors.ts";
import { DeletedResponse, ProfileChangesBody, ProfileForm, ProfileSchema } from "./model.ts";
import { type AccountDeletionDeps, deleteAccount, exportAccount, profileOf, updateProfile } from "./service.ts";

export interface UserModuleDeps extends AccountDeletionDeps {
  config: Config;
  guards: ReturnType<typeof authGuards>;
}

/** Every zone the form offers, computed once. */
const timeZones = Intl.supportedValuesOf("timeZone");

/** The signed-in person's own account: profile, export, deletion, as JSON under /api and as the /account page. */
export function user({ config, guards, ...deletion }: UserModuleDeps) {
  const { db } = deletion;
  const accountPage = (userId: string, notice: { saved?: boolean; problem?: string } = {}) =>
    AccountPage({ profile: profileOf(db, userId), timeZones, ...notice });

  return new Elysia({ name: "user" })
    .use(guards)
    .get("/api/user/profile", ({ user }) => profileOf(db, user.id), { requireAuth: true, response: ProfileSchema })
    .patch("/api/user/profile", ({ user, body }) => updateProfile(db, user.id, body), {
      requireAuth: true,
      body: ProfileChangesBody,
      response: ProfileSchema,
    })
    .get(
      "/api/user/export",
      ({ user, set }) => {
        const now = Date.now();
        set.headers["content-disposition"] = `attachment; filename="oo-export-${new Date(now).toISOString().slice(0, 10)}.json"`;
        set.headers["cache-control"] = "no-store";
        return exportAccount(db, user.id, now);
      },
      { requireAuth: true },
    )
    .delete(
      "/api/user",
      async ({ user, cookie }) => {
        await deleteAccount(deletion, user.id);
        clearSessionCookie(cookie[SESSION_COOKIE]!, config);
        return { deleted: true };
      },
      { requireAuth: true, response: DeletedResponse },
    )
    .get("/account", ({ user, query }) => accountPage(user.id, { saved: query.saved === "1" }), { requireAuth: true })
    .post(
      "/account",
      ({ user, body, set, redirect }) => {
        try {
          updateProfile(db, user.id, {
            timezone: body.timezone,
            quietHoursStart: body.quietHoursStart,
            quietHoursEnd: body.quietHoursEnd,
            pushOptIn: body.pushOptIn === "on",
          });
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          set.status = error.status;
          return accountPage(user.id, { problem: error.message });
        }
        return redirect("/account?saved=1", 303);
      },
      { requireAuth: true, body: ProfileForm },
    )
    .post(
      "/account/delete",
      async ({ user, cookie, redirect }) => {
        await deleteAccount(deletion, user.id);
        clearSessionCookie(cookie[SESSION_COOKIE]!, config);
        return redirect("/", 303);
      },
      { requireAuth: true },
    );
}
