import { expect } from "bun:test";
import { type FakeTodoist, type FakeTodoistOptions, startFakeTodoist } from "./fake-todoist.ts";
import { type SignedIn, signIn } from "./auth.ts";
import { BASE, type TestContext } from "./harness.ts";
import { TODOIST_CALLBACK_PATH, TODOIST_WEBHOOK_PATH } from "../integrations/index.ts";
import { CONNECT_TODOIST_URL } from "../integrations/page.ts";

/** Where the fake's authorize page sends the browser back to (the redirect URL registered at Todoist). */
export const TODOIST_CALLBACK = `${BASE}${TODOIST_CALLBACK_PATH}`;
export const TODOIST_WEBHOOK = TODOIST_WEBHOOK_PATH;

/** A fake Todoist whose OAuth app redirects to oO's callback. */
export function startTodoist(options: FakeTodoistOptions = {}): FakeTodoist {
  return startFakeTodoist({ callbackUrl: TODOIST_CALLBACK, ...options });
}

/** The `name=value` of a Set-Cookie header the response sets, or undefined. */
export function setCookie(response: Response, name: string): string | undefined {
  const line = response.headers.getSetCookie().find((cookie) => cookie.startsWith(`${name}=`));
  return line?.split(";")[0];
}

export interface ConnectRun {
  /** Where the callback sent the browser (`/connect?todoist=<outcome>`). */
  location: string;
  /** The outcome word from that location. */
  outcome: string | null;
  callback: Response;
}

/**
 * The connect flow as a browser runs it: the form POST, the fake's authorize page (approving as
 * its newest or `authorizeAs` user), and the callback with the state cookie. `tamper` lets a test
 * change the callback URL or cookies, or add headers, before the callback is sent.
 */
export async function connectTodoist(
  context: TestContext,
  person: SignedIn,
  tamper: { callback?: (url: URL) => void; cookie?: (cookie: string) => string; headers?: Record<string, string> } = {},
): Promise<ConnectRun> {
  const start = await context.request(CONNECT_TODOIST_URL, { method: "POST", headers: { cookie: person.cookie } });
  expect(start.status).toBe(302);
  const state = setCookie(start, "todoist_connect");
  expect(state).toBeDefined();
  const authorize = await fetch(start.headers.get("location")!, { redirect: "manual" });
  expect(authorize.status).toBe(302);
  const back = new URL(authorize.headers.get("location")!);
  expect(`${back.origin}${back.pathname}`).toBe(TODOIST_CALLBACK);
  tamper.callback?.(back);
  const cookie = `${person.cookie}; ${state}`;
  const callback = await context.request(`${back.pathname}${back.search}`, {
    headers: { ...tamper.headers, cookie: tamper.cookie ? tamper.cookie(cookie) : cookie },
  });
  expect(callback.status).toBe(303);
  const location = callback.headers.get("location")!;
  return { location, outcome: new URL(location, BASE).searchParams.get("todoist"), callback };
}

/** Connects a person's Todoist directly with the fake's long-lived token (no OAuth round trip). */
export function connectAccount(context: TestContext, account: { id: string; token: string }, person: SignedIn = signIn(context.database)): SignedIn {
  context.modules.integrations.store.connect({
    userId: person.userId,
    provider: "todoist",
    tokens: { accessToken: account.token, refreshToken: null, expiresAt: null },
    externalUserId: account.id,
    scope: "data:read_write",
  });
  return person;
}

/** The access token the fake issued to oO, read from the Authorization header of oO's latest API call. */
export function lastBearer(fake: FakeTodoist): string | undefined {
  const calls = fake.requests.filter((request) => request.path.startsWith("/api/v1/") && request.headers.authorization?.startsWith("Bearer "));
  return calls.at(-1)?.headers.authorization?.slice("Bearer ".length);
}
