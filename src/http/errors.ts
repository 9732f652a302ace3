import { Elysia, ValidationError } from "elysia";
import type { Logger } from "../log.ts";
import { ErrorPage } from "../../views/error.tsx";
import { requestTrace } from "./tracing.ts";

/** An error a client caused or may see: a status, a stable code and a human message. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const isApiPath = (path: string) => path === "/api" || path.startsWith("/api/");

export function jsonError(status: number, code: string, message: string, headers?: Record<string, string>): Response {
  return Response.json({ error: { code, message } }, { status, headers });
}

function validationMessage(error: ValidationError): string {
  if (typeof error.customError === "string") return error.customError;
  const detail = error.valueError;
  if (!detail) return `invalid ${error.type}`;
  const field = detail.path.replace(/^\//, "").replaceAll("/", ".");
  return field ? `${field}: ${detail.message}` : `${error.type}: ${detail.message}`;
}

function describe(code: string | number, error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  switch (code) {
    case "NOT_FOUND":
      return new AppError(404, "not_found", "Nothing lives at this address.");
    case "VALIDATION":
      return new AppError(400, "invalid_request", validationMessage(error as ValidationError));
    case "PARSE":
      return new AppError(400, "invalid_body", "The request body could not be read.");
    case "INVALID_COOKIE_SIGNATURE":
      return new AppError(400, "invalid_cookie", "A cookie was tampered with.");
    default:
      return undefined;
  }
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
      known = new AppError(500, "internal", "Something went wrong on our side. Try again in a moment.");
    }
    set.status = known.status;
    if (isApiPath(path)) return jsonError(known.status, known.code, known.message);
    // An error page would be swapped into the fragment htmx asked for; reload the whole page instead.
    if (request.headers.get("hx-request") === "true") set.headers["hx-refresh"] = "true";
    return new Response(ErrorPage({ status: known.status, message: known.message }) as string, {
      status: known.status,
      headers: { "content-type": "text/html; charset=utf-8" },
    });
  });
}
