import { Elysia } from "elysia";
import { AppError } from "../errors.ts";
import { isApiPath } from "./errors.ts";

/** JSON and form bodies: a profile change or a feedback is a few hundred bytes. */
export const BODY_LIMIT_BYTES = 64 * 1024;

export interface BodyOptions {
  /** Routes that take their body as raw bytes (a signed webhook), each with its own limit. */
  raw: Record<string, number>;
  /** API routes that take a form (a button posted by a page) instead of JSON. */
  formApis: string[];
  /** API routes that take a body from someone not signed in (sign-in itself); every other one needs a session. */
  signedOutApis: string[];
  /** Whether the request carries a live session, checked without side effects. */
  hasSession(request: Request): boolean;
}

const tooLarge = (limit: number) => new AppError("too_large", "too_large", `The request body is over ${Math.round(limit / 1024)} KB.`);

/**
 * The body, read as it arrives and refused as soon as it passes `limit` bytes: a declared
 * Content-Length over the limit is refused before a byte is read, and a chunked body is cut off
 * at the limit, so no request can make the server hold more than that.
 */
export async function readBounded(request: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > limit) throw tooLarge(limit);
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    size += read.value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge(limit);
    }
    chunks.push(read.value);
  }
  return Buffer.concat(chunks);
}

const decoder = new TextDecoder("utf-8", { fatal: true });

function text(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new AppError("invalid", "invalid_body", "The request body is not UTF-8.");
  }
}

/** Every JSON API takes an object: an array, a number or a string is refused here, not read as "no change". */
function parseJson(bytes: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text(bytes));
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError("invalid", "invalid_body", "The request body is not valid JSON.");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new AppError("invalid", "invalid_body", "The request body must be a JSON object.");
  }
  return value as Record<string, unknown>;
}

/** A form as an object; a field sent twice is refused rather than guessed at. */
function parseForm(bytes: Uint8Array): Record<string, string> {
  const form = text(bytes);
  // URLSearchParams would read a percent-encoded byte that is not UTF-8 as U+FFFD; refuse it instead.
  try {
    decodeURIComponent(form.replaceAll("+", " "));
  } catch {
    throw new AppError("invalid", "invalid_body", "The form is not UTF-8.");
  }
  const fields: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(form)) {
    if (Object.hasOwn(fields, name)) throw new AppError("invalid", "invalid_body", `The form sends ${name.slice(0, 40)} twice.`);
    fields[name] = value;
  }
  return fields;
}

const unsupported = (json: boolean) =>
  new AppError("unsupported_media_type", "unsupported_media_type", json ? "Send JSON (Content-Type: application/json)." : "Send the form as application/x-www-form-urlencoded.");

const mediaType = (contentType: string | null) => (contentType ?? "").split(";")[0]!.trim().toLowerCase();

/**
 * Every request body goes through here, after the host and cross-origin checks (which run when
 * the request arrives) and before any handler. An API call that needs a session is checked for
 * one first; a page's form is read (within its limit) before its guard sends a signed-out person
 * to sign in, so the redirect can bring them back. JSON under /api, forms for pages (and the few API
 * routes a page's button posts to), raw bytes for signed webhooks, each read within its limit.
 * Anything else is 415; a body that does not parse is 400.
 */
export function bodies({ raw, formApis, signedOutApis, hasSession }: BodyOptions) {
  const rawLimits = new Map(Object.entries(raw));
  const formApiPaths = new Set(formApis);
  const signedOutApiPaths = new Set(signedOutApis);
  return new Elysia({ name: "http.bodies" }).onParse({ as: "global" }, async ({ request, path }) => {
    const rawLimit = rawLimits.get(path);
    if (rawLimit !== undefined) return readBounded(request, rawLimit);
    if (request.body === null) return;
    // An API call that needs a session and has none is refused before a byte of its body is read.
    if (isApiPath(path) && !signedOutApiPaths.has(path) && !hasSession(request)) {
      throw new AppError("unauthenticated", "unauthenticated", "Sign in to continue.");
    }
    const type = mediaType(request.headers.get("content-type"));
    const wantsJson = isApiPath(path) && !formApiPaths.has(path);
    if (type === "") {
      // No type: fine for a request with nothing in it (a button's POST), refused otherwise.
      if ((await readBounded(request, BODY_LIMIT_BYTES)).byteLength === 0) return;
      throw unsupported(wantsJson);
    }
    if (type !== (wantsJson ? "application/json" : "application/x-www-form-urlencoded")) throw unsupported(wantsJson);
    const bytes = await readBounded(request, BODY_LIMIT_BYTES);
    return wantsJson ? parseJson(bytes) : parseForm(bytes);
  });
}
