import { t } from "elysia";

export const SessionUserSchema = t.Object({
  id: t.String(),
  email: t.Nullable(t.String()),
  name: t.Nullable(t.String()),
  role: t.Union([t.Literal("user"), t.Literal("admin")]),
  timezone: t.String(),
  timezoneConfirmed: t.Boolean(),
});

/** `user` is absent when nobody is signed in. */
export const SessionResponse = t.Object({ user: t.Optional(SessionUserSchema) });

export const SignedInResponse = t.Object({ user: SessionUserSchema });

/** The sign-in button's form: where to go afterwards. */
export const LoginForm = t.Object({ next: t.Optional(t.String({ maxLength: 2000 })) });

export const AdminTokenBody = t.Object({ token: t.String({ maxLength: 1000 }) });

export const AdminLoginForm = t.Object({ token: t.String({ maxLength: 1000 }), next: t.Optional(t.String({ maxLength: 2000 })) });

export const SetupForm = t.Object({ token: t.String({ maxLength: 200 }) });
