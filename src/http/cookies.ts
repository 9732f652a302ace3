import type { Cookie } from "elysia";

/**
 * A short-lived cookie that carries one OAuth flow's state (HttpOnly, SameSite=Lax, scoped to
 * the flow's path). An empty value clears it.
 */
export function setFlowCookie(cookie: Cookie<unknown>, value: string, options: { path: string; maxAgeSeconds: number; secure: boolean }) {
  cookie.set({
    value,
    httpOnly: true,
    sameSite: "lax",
    secure: options.secure,
    path: options.path,
    maxAge: value ? options.maxAgeSeconds : 0,
    ...(value ? {} : { expires: new Date(0) }),
  });
}

/**
 * A cookie's text, or undefined. Elysia parses a value that looks like JSON (`{…}`, `[…]`), so a
 * planted cookie can arrive as an object; it is then no value at all.
 */
export const cookieText = (cookie: Cookie<unknown> | undefined) =>
  typeof cookie?.value === "string" && cookie.value !== "" ? cookie.value : undefined;
