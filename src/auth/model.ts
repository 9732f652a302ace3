import { t } from "elysia";

export const RoleSchema = t.Union([t.Literal("user"), t.Literal("admin")]);

/** What handlers behind `requireAuth` see of the signed-in person. */
export const SessionUserSchema = t.Object({
  id: t.String(),
  email: t.Nullable(t.String()),
  name: t.Nullable(t.String()),
  role: RoleSchema,
  timezone: t.String(),
  /** False until the browser reported its zone or the person chose one. */
  timezoneConfirmed: t.Boolean(),
});
export type SessionUser = typeof SessionUserSchema.static;
export type Role = typeof RoleSchema.static;

/** How a session was opened: lifetimes differ by kind. */
export const SessionKindSchema = t.Union([t.Literal("user"), t.Literal("admin_token"), t.Literal("setup")]);
export type SessionKind = typeof SessionKindSchema.static;

/** `user` is absent when nobody is signed in. */
export const SessionResponse = t.Object({ user: t.Optional(SessionUserSchema) });

export const SignedInResponse = t.Object({ user: SessionUserSchema });

/** The sign-in button's form: where to go afterwards. */
export const LoginForm = t.Object({ next: t.Optional(t.String({ maxLength: 2000 })) });

export const AdminTokenBody = t.Object({ token: t.String({ maxLength: 1000 }) });

export const AdminLoginForm = t.Object({ token: t.String({ maxLength: 1000 }), next: t.Optional(t.String({ maxLength: 2000 })) });

export const SetupForm = t.Object({ token: t.String({ maxLength: 200 }) });
