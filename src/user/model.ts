import { t } from "elysia";
import { SessionUserSchema } from "../auth/model.ts";

export const ProfileSchema = t.Composite([
  SessionUserSchema,
  t.Object({
    quietHoursStart: t.String(),
    quietHoursEnd: t.String(),
    pushOptIn: t.Boolean(),
  }),
]);
export type Profile = typeof ProfileSchema.static;

/** Types only; the values (IANA zone, HH:MM) are checked by `updateProfile`, which the form shares. */
export const ProfileChangesBody = t.Object({
  timezone: t.Optional(t.String({ maxLength: 100 })),
  quietHoursStart: t.Optional(t.String({ maxLength: 5 })),
  quietHoursEnd: t.Optional(t.String({ maxLength: 5 })),
  pushOptIn: t.Optional(t.Boolean()),
});
export type ProfileChanges = typeof ProfileChangesBody.static;

/** The /account form as browsers send it. It offers no push switch until web push is built: the API keeps the preference. */
export const ProfileForm = t.Object({
  timezone: t.String({ maxLength: 100 }),
  quietHoursStart: t.String({ maxLength: 5 }),
  quietHoursEnd: t.String({ maxLength: 5 }),
});

export const DeletedResponse = t.Object({ deleted: t.Boolean() });
