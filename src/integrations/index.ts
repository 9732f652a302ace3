import { type Cookie, Elysia } from "elysia";
import { ConnectPage, connectMessages } from "../../views/connect.tsx";
import { AppError } from "../errors.ts";
import { cookieText, setFlowCookie } from "../http/cookies.ts";
import { requestContext } from "../http/request-context.ts";
import type { Runtime } from "../runtime.ts";
import { CallbackQuery, ConnectPageQuery, DisconnectedResponse, IntegrationsResponse, PROVIDERS, ProviderParams, WebhookBody, WebhookResponse } from "./model.ts";
import { CONNECT_TODOIST_URL, DISCONNECT_TODOIST_FORM_URL, todoistRow } from "./page.ts";
import { TODOIST } from "./todoist/access.ts";
import { STATE_LIFETIME_S, TODOIST_SCOPE } from "./todoist/connect.ts";

/** Signed by Todoist instead of carrying a session: the one path the CSRF check lets through. */
export const TODOIST_WEBHOOK_PATH = "/api/integrations/todoist/webhook";
export const TODOIST_CALLBACK_PATH = "/api/integrations/todoist/callback";

/** Lives only between the connect button and Todoist's answer, and is sent only to these routes. */
const STATE_COOKIE = "todoist_connect";
const STATE_COOKIE_PATH = "/api/integrations/todoist";

/** Connect, callback, disconnect, the integrations list, the Todoist webhook, and the /connect page. */
export function integrationRoutes({ config, log, modules }: Runtime) {
  const integrations = modules.integrations;
  const { store, connections, webhooks, state, client } = integrations;
  const stateCookie = (cookie: Record<string, Cookie<unknown>>, value: string) =>
    setFlowCookie(cookie[STATE_COOKIE]!, value, { path: STATE_COOKIE_PATH, maxAgeSeconds: STATE_LIFETIME_S, secure: config.secureCookies });

  return new Elysia({ name: "integrations" })
    .use(requestContext(log))
    .use(modules.auth.guards)
    .get("/api/integrations", ({ user }) => ({ integrations: store.list(user.id) }), { requireAuth: true, response: IntegrationsResponse })
    .post(
      CONNECT_TODOIST_URL,
      ({ session, cookie, redirect }) => {
        if (!integrations.configured) throw new AppError("not_found", "todoist_disabled", "Todoist is not set up on this instance.");
        const issued = state.issue(session.tokenHash);
        stateCookie(cookie, issued.cookie);
        return redirect(client.authorizationUrl({ state: issued.state, scopes: [TODOIST_SCOPE] }), 302);
      },
      { requireAuth: true },
    )
    .get(
      TODOIST_CALLBACK_PATH,
      async ({ user, session, query, cookie, redirect, traceId, traceparent, log }) => {
        const issued = cookieText(cookie[STATE_COOKIE]);
        // One attempt per button press: whatever happens next, this state is spent.
        stateCookie(cookie, "");
        let outcome;
        if (!integrations.configured) outcome = "unavailable" as const;
        else if (!state.verify(issued, query.state, session.tokenHash)) outcome = "state" as const;
        else if (query.error) outcome = "denied" as const;
        else outcome = await connections.complete(user.id, query.code, { traceparent, traceId });
        if (outcome !== "connected") log.info({ userId: user.id, provider: TODOIST, outcome }, "todoist connect not completed");
        return redirect(`/connect?todoist=${outcome}`, 303);
      },
      { requireAuth: true, query: CallbackQuery },
    )
    .delete(
      "/api/integrations/:provider",
      async ({ user, params, traceId, traceparent }) => {
        if (!(PROVIDERS as readonly string[]).includes(params.provider)) throw new AppError("not_found", "unknown_provider", "oO has no such integration.");
        if (!(await connections.disconnect(user.id, { traceId, traceparent }))) throw new AppError("not_found", "not_connected", "Todoist is not connected.");
        return { disconnected: true as const };
      },
      { requireAuth: true, params: ProviderParams, response: DisconnectedResponse },
    )
    .post(
      TODOIST_WEBHOOK_PATH,
      async ({ request, body, traceId }) => {
        const result = webhooks.handle(body, {
          signature: request.headers.get("x-todoist-hmac-sha256"),
          deliveryId: request.headers.get("x-todoist-delivery-id"),
          traceId,
        });
        return { ok: true as const, result };
      },
      { body: WebhookBody, response: WebhookResponse },
    )
    .get(
      "/connect",
      ({ user, query, set }) => {
        set.headers["cache-control"] = "no-store";
        const todoist = store.list(user.id).find((summary) => summary.provider === TODOIST);
        return ConnectPage({
          rows: [todoistRow(todoist, integrations.configured, user.timezone)],
          notice: query.todoist && Object.hasOwn(connectMessages, query.todoist) ? connectMessages[query.todoist] : undefined,
        });
      },
      { requireAuth: true, query: ConnectPageQuery },
    )
    .post(
      DISCONNECT_TODOIST_FORM_URL,
      async ({ user, redirect, traceId, traceparent }) => {
        await connections.disconnect(user.id, { traceId, traceparent });
        return redirect("/connect?todoist=disconnected", 303);
      },
      { requireAuth: true },
    );
}
