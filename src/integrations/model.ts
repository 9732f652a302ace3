import { Type } from "@sinclair/typebox";
import { t } from "elysia";

export const PROVIDERS = ["todoist"] as const;
export type Provider = (typeof PROVIDERS)[number];

const status = t.Union([t.Literal("connected"), t.Literal("needs_reconnect")]);

/** What `GET /api/integrations` and the connect page show of a connection. */
export const IntegrationSummarySchema = t.Object({
  provider: t.String(),
  status,
  connectedAt: t.Number(),
  lastSyncAt: t.Union([t.Number(), t.Null()]),
  lastSyncError: t.Union([t.String(), t.Null()]),
  taskCount: Type.Integer({ minimum: 0 }),
});

export type IntegrationSummary = typeof IntegrationSummarySchema.static;

export const IntegrationsResponse = t.Object({ integrations: t.Array(IntegrationSummarySchema) });

export const ProviderParams = t.Object({ provider: t.String({ minLength: 1, maxLength: 32 }) });

export const DisconnectedResponse = t.Object({ disconnected: t.Literal(true) });

/**
 * What Todoist adds to the redirect back; every field optional, since a denial carries `error` instead
 * of `code`. Other parameters a provider may add (`iss`, …) are let through and ignored.
 */
export const CallbackQuery = t.Object(
  {
    code: t.Optional(t.String({ maxLength: 2048 })),
    state: t.Optional(t.String({ maxLength: 512 })),
    error: t.Optional(t.String({ maxLength: 512 })),
  },
  { additionalProperties: true },
);

/** The connect page's one-word outcome in its query string, mapped to a fixed message (never echoed); other parameters are ignored. */
export const ConnectPageQuery = t.Object({ todoist: t.Optional(t.String({ maxLength: 32 })) }, { additionalProperties: true });

/** What a delivery Todoist sent came to (a refused one is an error). */
export const WebhookResultSchema = t.Union([t.Literal("applied"), t.Literal("duplicate"), t.Literal("ignored")]);
export type WebhookResult = typeof WebhookResultSchema.static;
export const WebhookResponse = t.Object({ ok: t.Literal(true), result: WebhookResultSchema });
/** The webhook's body: its raw bytes, exactly as signed (read by the body plugin within their limit). */
export const WebhookBody = Type.Uint8Array();

/** Todoist's webhook envelope (plain typebox: checked by hand after the signature, not by Elysia). */
export const WebhookEnvelope = Type.Object({
  event_name: Type.String({ minLength: 1, maxLength: 64 }),
  user_id: Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Integer()]),
  event_data: Type.Unknown(),
  triggered_at: Type.Optional(Type.String()),
  version: Type.Optional(Type.String()),
});
