import { Elysia, status } from "elysia";
import { TipCard, TipPage } from "../../views/tip.tsx";
import type { SessionUser } from "../auth/model.ts";
import { requestContext } from "../http/request-context.ts";
import type { Runtime } from "../runtime.ts";
import { AppError } from "../errors.ts";
import { FeedbackBody, FeedbackResponse, RecommendResponse, TIP_NOTICES, type TipNotice, TipPageQuery, TipParams, type TipScreen, UndoResponse } from "./model.ts";

/** The tip: JSON API, the page, its no-JavaScript forms and htmx fragments. */
export function recommenderRoutes({ log, modules }: Runtime) {
  const { recommender, feedback } = modules.recommender;
  const screen = (user: SessionUser, traceparent: string, tipId?: string) =>
    recommender.screen(user, { traceparent, tipId, canConnect: () => modules.integrations.offersConnect(user.id) });
  const isHtmx = (request: Request) => request.headers.get("hx-request") === "true";
  return new Elysia({ name: "recommender" })
    .use(requestContext(log))
    .use(modules.auth.guards)
    .post("/api/recommend", async ({ user, traceparent }) => ({ tip: await recommender.recommend(user, { traceparent }) }), {
      requireAuth: true,
      response: { 200: RecommendResponse },
    })
    .post("/api/tip/:id/feedback", async ({ user, params, body, traceparent }) => feedback.give(user.id, params.id, body.action, { traceparent }), {
      requireAuth: true,
      params: TipParams,
      body: FeedbackBody,
      response: FeedbackResponse,
    })
    .post("/api/tip/:id/undo", async ({ user, params, traceparent }) => feedback.undo(user.id, params.id, { traceparent }), {
      requireAuth: true,
      params: TipParams,
      response: UndoResponse,
    })
    .get(
      "/",
      async ({ user, set, query, traceparent }) => {
        // Back and forward must not bring a tip already answered out of the browser's cache.
        set.headers["cache-control"] = "no-store";
        const shown = await screen(user, traceparent, query.tip);
        const notice = query.notice !== undefined && Object.hasOwn(TIP_NOTICES, query.notice) ? TIP_NOTICES[query.notice as TipNotice] : null;
        return TipPage({ screen: notice ? { ...shown, undo: null, notice } : shown, detectTimezone: !user.timezoneConfirmed, admin: user.role === "admin" });
      },
      { requireAuth: true, query: TipPageQuery },
    )
    // The page's own forms: htmx swaps in the tip card they answer with; without JavaScript the
    // browser follows the redirect to the page, which carries the same undo.
    .post(
      "/tip/:id/feedback",
      async ({ user, params, body, request, set, traceparent }) => {
        const { duplicate } = await feedback.give(user.id, params.id, body.action, { traceparent });
        // The tip a reload would show: after a first reaction a new one, after a repeat the one the
        // first reaction brought (a repeat must not serve a tip that never reaches the screen). A
        // repeat says the tip was answered already rather than offering to undo what it did not do.
        const answered = (shown: TipScreen) => (duplicate ? { ...shown, undo: null, notice: TIP_NOTICES.answered } : shown);
        if (isHtmx(request)) return TipCard({ screen: answered(await screen(user, traceparent)) });
        set.headers.location = duplicate ? "/?notice=answered" : "/";
        return status(303);
      },
      { requireAuth: true, params: TipParams, body: FeedbackBody },
    )
    .post(
      "/tip/:id/undo",
      async ({ user, params, request, set, traceparent }) => {
        try {
          await feedback.undo(user.id, params.id, { traceparent });
        } catch (error) {
          // Without JavaScript the undo form never fades: a late one comes back to the tip with a word, not an error page.
          if (isHtmx(request) || !(error instanceof AppError && error.kind === "conflict")) throw error;
          set.headers.location = "/?notice=undo-late";
          return status(303);
        }
        if (isHtmx(request)) return TipCard({ screen: await screen(user, traceparent) });
        set.headers.location = "/";
        return status(303);
      },
      { requireAuth: true, params: TipParams },
    );
}
