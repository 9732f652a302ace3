import { afterEach, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { type FakeTodoist, startFakeTodoist } from "./fake-todoist.ts";

const fakes: FakeTodoist[] = [];
const servers: { stop(force: boolean): unknown }[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.stop()));
  for (const server of servers.splice(0)) server.stop(true);
});

function fake(options: Parameters<typeof startFakeTodoist>[0] = {}) {
  const started = startFakeTodoist(options);
  fakes.push(started);
  return started;
}

/** A webhook receiver that keeps the raw body and headers of each delivery. */
function receiver() {
  const received: { body: string; headers: Headers }[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: async (request) => {
      received.push({ body: await request.text(), headers: request.headers });
      return new Response(null, { status: 200 });
    },
  });
  servers.push(server);
  return { url: `http://127.0.0.1:${server.port}/api/integrations/todoist/webhook`, received };
}

describe("webhooks", () => {
  test("signed as Todoist documents: base64 HMAC-SHA256 of the raw body, keyed with the client secret", async () => {
    const todoist = fake({ clientSecret: "the-client-secret" });
    const user = todoist.createUser({ tasks: [{ content: "Buy milk" }] });
    const task = todoist.completeTask(user.id, todoist.activeTasks(user.id)[0]!.id);
    const { url, received } = receiver();

    const delivery = await todoist.deliverWebhook(url, { name: "item:completed", data: task });

    expect(delivery.status).toBe(200);
    const [{ body, headers }] = received as [(typeof received)[number]];
    expect(body).toBe(delivery.body);
    const expected = createHmac("sha256", "the-client-secret").update(body, "utf8").digest("base64");
    expect(headers.get("x-todoist-hmac-sha256")).toBe(expected);
    expect(headers.get("x-todoist-delivery-id")).toBe(delivery.deliveryId);
    expect(headers.get("content-type")).toBe("application/json");
    expect(headers.get("user-agent")).toBe("Todoist-Webhooks");

    const payload = JSON.parse(body);
    expect(payload).toMatchObject({ event_name: "item:completed", user_id: user.id, version: "10", initiator: { id: user.id } });
    expect(payload.event_data).toEqual(task);
    expect(payload.event_data.checked).toBe(true);
    expect(payload.triggered_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
  });

  test("a retry repeats the delivery id; a wrong secret gives a signature that does not verify", async () => {
    const todoist = fake();
    const user = todoist.createUser({ tasks: [{ content: "a" }] });
    const task = todoist.activeTasks(user.id)[0]!;
    const { url, received } = receiver();

    const first = await todoist.deliverWebhook(url, { name: "item:added", data: task });
    await todoist.deliverWebhook(url, { name: "item:added", data: task }, { deliveryId: first.deliveryId });
    const forged = await todoist.deliverWebhook(url, { name: "item:added", data: task }, { secret: "not-the-secret" });

    expect(received.map((delivery) => delivery.headers.get("x-todoist-delivery-id"))).toEqual([first.deliveryId, first.deliveryId, forged.deliveryId]);
    const verifies = (delivery: (typeof received)[number]) =>
      createHmac("sha256", todoist.clientSecret).update(delivery.body).digest("base64") === delivery.headers.get("x-todoist-hmac-sha256");
    expect(received.map(verifies)).toEqual([true, true, false]);
  });
});

describe("API v1 behaviour", () => {
  test("limit above 200 and an invalid cursor are 400 with the v1 error body", async () => {
    const todoist = fake();
    const user = todoist.createUser();
    const get = (query: string) => fetch(`${todoist.apiBaseUrl}/tasks?${query}`, { headers: { authorization: `Bearer ${user.token}` } });

    const tooMany = await get("limit=201");
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toMatchObject({ error_tag: "INVALID_ARGUMENT_VALUE", http_code: 400, error_extra: { argument: "limit" } });
    expect((await get("cursor=garbage")).status).toBe(400);
    expect((await get("limit=200")).status).toBe(200);
  });

  test("the default page is 50, and paging ends with next_cursor null", async () => {
    const todoist = fake();
    const user = todoist.createUser();
    todoist.seedTasks(user.id, 60);
    const headers = { authorization: `Bearer ${user.token}` };
    const first = (await (await fetch(`${todoist.apiBaseUrl}/tasks`, { headers })).json()) as { results: unknown[]; next_cursor: string };
    expect(first.results).toHaveLength(50);
    const second = (await (await fetch(`${todoist.apiBaseUrl}/tasks?cursor=${first.next_cursor}`, { headers })).json()) as {
      results: unknown[];
      next_cursor: null;
    };
    expect(second).toMatchObject({ next_cursor: null });
    expect(second.results).toHaveLength(10);
  });

  test("authorize refuses an unknown client, a missing state and unknown scopes", async () => {
    const todoist = fake({ callbackUrl: "http://localhost:3001/cb" });
    const authorize = (query: string) => fetch(`${todoist.authUrl}?${query}`, { redirect: "manual" });
    expect((await authorize("client_id=other&scope=data:read&state=s")).status).toBe(400);
    expect((await authorize(`client_id=${todoist.clientId}&scope=data:read`)).status).toBe(400);
    const badScope = await authorize(`client_id=${todoist.clientId}&scope=everything&state=s`);
    expect(new URL(badScope.headers.get("location")!).searchParams.get("error")).toBe("invalid_scope");
    expect((await fetch(`${todoist.tokenUrl}`, { method: "POST", body: new URLSearchParams({ client_id: todoist.clientId }) })).status).toBe(400);
  });

  test("completing a parent completes its subtasks; injected faults skip the authorize page", async () => {
    const todoist = fake({ callbackUrl: "http://localhost:3001/cb" });
    const user = todoist.createUser();
    const parent = todoist.addTask(user.id, { content: "parent" });
    const child = todoist.addTask(user.id, { content: "child", parent_id: parent.id });
    todoist.completeTask(user.id, parent.id);
    expect(todoist.task(user.id, child.id)!.checked).toBe(true);

    todoist.failNext(1, 503);
    const page = await fetch(`${todoist.authUrl}?client_id=${todoist.clientId}&scope=data:read&state=s`, { redirect: "manual" });
    expect(page.status).toBe(302);
    expect((await fetch(`${todoist.apiBaseUrl}/user`, { headers: { authorization: `Bearer ${user.token}` } })).status).toBe(503);
  });
});
