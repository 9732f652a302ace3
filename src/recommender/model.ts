import { t } from "elysia";
import { FEEDBACK_ACTIONS } from "./feedback.ts";

// Not t.UnionEnum: it fills a missing value with the first member, which would turn an empty
// request into "done".
const actionSchema = t.Union(
  [t.Literal("done"), t.Literal("dismiss"), t.Literal("snooze"), t.Literal("helpful"), t.Literal("not_helpful")],
  { error: `action must be one of: ${FEEDBACK_ACTIONS.join(", ")}` },
);

export const feedbackBody = t.Object({ action: actionSchema });
export const tipParams = t.Object({ id: t.String({ minLength: 1, maxLength: 64 }) });

export const tipSchema = t.Object({
  id: t.String(),
  kind: t.Union([t.Literal("todo"), t.Literal("advice")]),
  content: t.String(),
  source: t.String(),
  why: t.String(),
});

export const recommendResponse = t.Object({ tip: tipSchema });
