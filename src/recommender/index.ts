import { Elysia, status } from "elysia";
import { TipCard, TipPage } from "../../views/tip.tsx";
import type { authGuards } from "../auth/guards.ts";
import { requestTrace } from "../http/tracing.ts";
import { feedbackBody, recommendResponse, tipParams } from "./model.ts";
import type { RecommenderModule } from "./service.ts";

/** The tip: JSON API, the page, its no-JavaScript forms and htmx fragments. */
export function recommenderRoutes(guards: ReturnType<typeof authGuards>, module: RecommenderModule) {
  const { recommender, feedback } = module;
  return new Elysia({ name: "recommender" })
    .use(guards)
    .post(
      "/api/recommend",
      async ({ user, request }) => ({ tip: await recommender.recommend(user, { traceparent: requestTrace(request).traceparent }) }),
      { requireAuth: true, response: { 200: recommendResponse } },
    )
    .post(
      "/api/tip/:id/feedback",
      async ({ user, params, body, request }) =>
        feedback.give(user.id, params.id, body.action, { traceparent: requestTrace(request).traceparent }),
      { requireAuth: true, params: tipParams, body: feedbackBody },
    )
    .get(
      "/",
      async ({ user, request, set }) => {
        // Back and forward must not bring a tip already answered out of the browser's cache.
        set.headers["cache-control"] = "no-store";
        return TipPage({
          tip: await recommender.current(user, { traceparent: requestTrace(request).traceparent }),
          detectTimezone: !user.timezoneConfirmed,
        });
      },
      { requireAuth: true },
    )
    .post(
      "/tip/:id/feedback",
      async ({ user, params, body, request, set }) => {
        const { traceparent } = requestTrace(request);
        await feedback.give(user.id, params.id, body.action, { traceparent });
        // The tip a reload would show: after a first reaction a new one, after a repeat the one the
        // first reaction brought (a repeat must not serve a tip that never reaches the screen).
        if (request.headers.get("hx-request") === "true") return TipCard({ tip: await recommender.current(user, { traceparent }) });
        set.headers.location = "/";
        return status(303);
      },
      { requireAuth: true, params: tipParams, body: feedbackBody },
    );
}
