/**
 * The one error services throw: what went wrong in the domain's words (a kind, a stable code, a
 * message a person can read). Services never speak HTTP; the error plugin (src/http/errors.ts)
 * turns the kind into a status, JSON under /api and a page elsewhere.
 */
export type ErrorKind =
  | "invalid"
  | "unauthenticated"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "gone"
  | "too_large"
  | "unsupported_media_type"
  | "misdirected"
  | "rate_limited"
  | "unavailable"
  | "internal";

export class AppError extends Error {
  override readonly name = "AppError";
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    /** For `rate_limited`: when trying again makes sense. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** The message of anything thrown, for logs that must not carry more than that. */
export const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * What a schema's failed check says, in a person's words: a choice among fixed words lists them
 * (a TypeBox message would say only "expected union value").
 */
export function checkProblem(schema: object | undefined, message: string): string {
  const choices = literalChoices(schema);
  return choices ? `must be one of ${choices.join(", ")}` : message;
}

/** The fixed words a schema takes (a union of string literals), or null. */
export function literalChoices(schema: object | undefined): string[] | null {
  const options = schema && "anyOf" in schema && Array.isArray(schema.anyOf) ? (schema.anyOf as { const?: unknown }[]) : [];
  const choices = options.map((option) => option.const);
  return choices.length > 0 && choices.every((choice) => typeof choice === "string") ? (choices as string[]) : null;
}
