import { Elysia } from "elysia";
import { requestContext } from "../http/request-context.ts";
import type { Runtime } from "../runtime.ts";
import { PushKeyResponse, SubscribeBody, SubscribeResponse, TestPushResponse, UnsubscribeBody, UnsubscribeResponse } from "./model.ts";

/** Web push for the signed-in person: the key to subscribe with, their devices, a test push. */
export function notifierRoutes({ log, modules }: Runtime) {
  const { notifier } = modules;
  return new Elysia({ name: "notifier" })
    .use(requestContext(log))
    .use(modules.auth.guards)
    .get("/api/push/key", () => ({ publicKey: notifier.publicKey }), { requireAuth: true, response: PushKeyResponse })
    .post("/api/push/subscribe", ({ user, body }) => ({ ok: true as const, ...notifier.subscribe(user.id, body) }), {
      requireAuth: true,
      body: SubscribeBody,
      response: SubscribeResponse,
    })
    .delete("/api/push/subscribe", ({ user, body }) => ({ ok: true as const, ...notifier.unsubscribe(user.id, body.endpoint) }), {
      requireAuth: true,
      body: UnsubscribeBody,
      response: UnsubscribeResponse,
    })
    .post("/api/push/test", ({ user, traceparent }) => ({ ok: true as const, queued: notifier.sendTest(user.id, traceparent) }), {
      requireAuth: true,
      response: TestPushResponse,
    });
}
