import { Elysia, ValidationError } from "elysia";
import { ErrorPage } from "../../views/error.tsx";
import { AppError, checkProblem, type ErrorKind } from "../errors.ts";
import type { Logger } from "../log.ts";
import { requestTrace } from "./request-context.ts";

const STATUS_OF: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  too_large: 413,
  unsupported_media_type: 415,
  misdirected: 421,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
};

export const isApiPath = (path: string) => path === "/api" || path.startsWith("/api/");

function errorBody(error: AppError) {
  return { error: { code: error.code, message: error.message } };
}

function validationMessage(error: ValidationError): string {
  if (typeof error.customError === "string") return error.customError;
  const detail = error.valueError;
  if (!detail) return `invalid ${error.type}`;
  const field = detail.path.replace(/^\//, "").replaceAll("/", ".");
  const problem = checkProblem(detail.schema, detail.message);
  return field ? `${field}: ${problem}` : `${error.type}: ${problem}`;
}

/** Elysia's own errors in the app's terms; undefined for anything unexpected. */
function describe(code: string | number, error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  // Elysia wraps what a body parser throws; the body plugin's own refusals (413, 415, 400) are inside.
  if (code === "PARSE" && error instanceof Error && error.cause instanceof AppError) return error.cause;
  switch (code) {
    case "NOT_FOUND":
      return new AppError("not_found", "not_found", "Nothing lives at this address.");
    case "VALIDATION":
      // An answer that does not match its own schema is our bug, not the caller's: a 500, logged.
      if ((error as ValidationError).type === "response") return undefined;
      return new AppError("invalid", "invalid_request", validationMessage(error as ValidationError));
    case "PARSE":
      return new AppError("invalid", "invalid_body", "The request body could not be read.");
    case "INVALID_COOKIE_SIGNATURE":
      return new AppError("invalid", "invalid_cookie", "A cookie was tampered with.");
    default:
      return undefined;
  }
}

/** The page a form shows again, with the mistake explained, when its request fails with an AppError. */
const formPages = new WeakMap<Request, (error: AppError) => JSX.Element>();

/**
 * Called by a form's handler before it acts: if the action throws an AppError, the error plugin
 * answers with this page (the form, filled in and explained) at the error's status, instead of
 * the generic error page.
 */
export function showFormOnError(request: Request, page: (error: AppError) => JSX.Element): void {
  formPages.set(request, page);
}

/**
 * One error surface: JSON `{ error: { code, message } }` under /api, a readable page elsewhere.
 * Unexpected errors are logged once with the trace id; clients never see a stack trace.
 */
export function errors(log: Logger) {
  return new Elysia({ name: "http.errors" }).onError({ as: "global" }, ({ code, error, request, set, path }) => {
    let known = describe(code, error);
    if (!known) {
      log.error({ traceId: requestTrace(request).traceId, err: error, path }, "unhandled error");
      known = new AppError("internal", "internal", "Something went wrong on our side. Try again in a moment.");
    }
    const status = STATUS_OF[known.kind];
    const headers: Record<string, string> = {};
    if (known.retryAfterSeconds !== undefined) headers["retry-after"] = String(known.retryAfterSeconds);
    set.status = status;
    if (isApiPath(path)) return Response.json(errorBody(known), { status, headers });
    const formPage = error instanceof AppError ? formPages.get(request) : undefined;
    const page = formPage ? formPage(known) : ErrorPage({ status, message: known.message });
    // An error page would be swapped into the fragment htmx asked for; reload the whole page instead.
    if (request.headers.get("hx-request") === "true") headers["hx-refresh"] = "true";
    return new Response(page as string, {
      status,
      headers: { ...headers, "content-type": "text/html; charset=utf-8" },
    });
  });
}
