import { Elysia } from "elysia";
import { AccountPage } from "../../views/account.tsx";
import type { SignInNotice } from "../../views/auth.tsx";
import { clearSessionCookie } from "../auth/guards.ts";
import { SESSION_COOKIE } from "../auth/service.ts";
import { showFormOnError } from "../http/errors.ts";
import type { Runtime } from "../runtime.ts";
import { DeletedResponse, ProfileChangesBody, ProfileForm, ProfileSchema } from "./model.ts";

/** Every zone the form offers, computed on the first account page (ICU takes a few ms to list them). */
let zones: string[] | null = null;
const timeZones = () => (zones ??= Intl.supportedValuesOf("timeZone"));

/** The signed-in person's own account: profile, export, deletion, as JSON under /api and as the /account page. */
export function userRoutes({ config, modules }: Runtime) {
  const account = modules.user;
  const accountPage = (userId: string, notice: { saved?: boolean; problem?: string } = {}) =>
    AccountPage({ profile: account.profile(userId), timeZones: timeZones(), ...notice });

  return new Elysia({ name: "user" })
    .use(modules.auth.guards)
    .get("/api/user/profile", ({ user }) => account.profile(user.id), { requireAuth: true, response: ProfileSchema })
    .patch("/api/user/profile", ({ user, body }) => account.updateProfile(user.id, body), {
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
        return account.exportAccount(user.id, now);
      },
      { requireAuth: true },
    )
    .delete(
      "/api/user",
      async ({ user, cookie }) => {
        await account.deleteAccount(user.id);
        clearSessionCookie(cookie[SESSION_COOKIE]!, config);
        return { deleted: true };
      },
      { requireAuth: true, response: DeletedResponse },
    )
    .get("/account", ({ user, query }) => accountPage(user.id, { saved: query.saved === "1" }), { requireAuth: true })
    .post(
      "/account",
      ({ user, body, request, redirect }) => {
        showFormOnError(request, (error) => accountPage(user.id, { problem: error.message }));
        account.updateProfile(user.id, {
          timezone: body.timezone,
          quietHoursStart: body.quietHoursStart,
          quietHoursEnd: body.quietHoursEnd,
        });
        return redirect("/account?saved=1", 303);
      },
      { requireAuth: true, body: ProfileForm },
    )
    .post(
      "/account/delete",
      async ({ user, cookie, redirect }) => {
        await account.deleteAccount(user.id);
        clearSessionCookie(cookie[SESSION_COOKIE]!, config);
        return redirect(`/signin?notice=${"deleted" satisfies SignInNotice}`, 303);
      },
      { requireAuth: true },
    );
}
