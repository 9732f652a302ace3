import { afterEach, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import webpush from "web-push";
import { outbox, pushSubscriptions } from "../db/schema.ts";
import { signIn, type SignedIn } from "../testing/auth.ts";
import { browserSubscription, startFakePush, verifiedVapid } from "../testing/fake-push.ts";
import { createTestApp, type TestContext, tempDir } from "../testing/harness.ts";
import { DAY_MS } from "../time.ts";

const contexts: TestContext[] = [];
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const vapid = webpush.generateVAPIDKeys();

function app(databasePath?: string) {
  const context = createTestApp({ VAPID_PUBLIC_KEY: vapid.publicKey, VAPID_PRIVATE_KEY: vapid.privateKey, VAPID_SUBJECT: "mailto:ops@oo.test" }, databasePath);
  contexts.push(context);
  return context;
}

function fakePush() {
  const fake = startFakePush();
  cleanups.push(() => fake.stop());
  return fake;
}

const call = (context: TestContext, person: SignedIn, method: string, path: string, body?: unknown) =>
  context.request(path, {
    method,
    headers: { cookie: person.cookie, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

const devices = (context: TestContext, userId: string) =>
  context.database.db.select().from(pushSubscriptions).where(eq(pushSubscriptions.userId, userId)).all();

describe("push subscriptions", () => {
  test("one per device: the same endpoint again updates it, unsubscribing removes it; the key is the instance's", async () => {
    const context = app();
    const person = signIn(context.database);
    expect(await (await call(context, person, "GET", "/api/push/key")).json()).toEqual({ publicKey: vapid.publicKey });

    const phone = await browserSubscription("https://push.example.test/send/phone");
    const laptop = await browserSubscription("https://push.example.test/send/laptop");
    const optedIn = async (someone: SignedIn) => (await (await call(context, someone, "GET", "/api/user/profile")).json()).pushOptIn;
    expect(await optedIn(person)).toBe(false);
    expect(await (await call(context, person, "POST", "/api/push/subscribe", phone.json)).json()).toEqual({ ok: true, devices: 1 });
    // Subscribing a device is asking for pushes; removing the last one stops them.
    expect(await optedIn(person)).toBe(true);
    const renewed = await browserSubscription(phone.json.endpoint);
    expect(await (await call(context, person, "POST", "/api/push/subscribe", { ...renewed.json, expirationTime: Date.now() + DAY_MS })).json()).toEqual({ ok: true, devices: 1 });
    expect(devices(context, person.userId)[0]).toMatchObject({ p256dhSecret: renewed.json.keys.p256dh, expiresAt: expect.any(Number) });
    expect(await (await call(context, person, "POST", "/api/push/subscribe", laptop.json)).json()).toEqual({ ok: true, devices: 2 });

    // The same device signed in as someone else now notifies them, not the first person.
    const other = signIn(context.database);
    await call(context, other, "POST", "/api/push/subscribe", laptop.json);
    expect(devices(context, person.userId).map((device) => device.endpoint)).toEqual([phone.json.endpoint]);
    expect(devices(context, other.userId)).toHaveLength(1);

    expect(await (await call(context, person, "DELETE", "/api/push/subscribe", { endpoint: phone.json.endpoint })).json()).toEqual({ ok: true, removed: true, devices: 0 });
    expect(await optedIn(person)).toBe(false);
    expect(await (await call(context, person, "DELETE", "/api/push/subscribe", { endpoint: phone.json.endpoint })).json()).toEqual({ ok: true, removed: false, devices: 0 });
    // Someone else's device is not theirs to remove.
    expect(await (await call(context, person, "DELETE", "/api/push/subscribe", { endpoint: laptop.json.endpoint })).json()).toMatchObject({ removed: false });
    expect(devices(context, other.userId)).toHaveLength(1);
  });

  test("a bad subscription gets a 400 naming what is wrong, and nothing is stored; signed out gets a 401", async () => {
    const context = app();
    const person = signIn(context.database);
    const good = (await browserSubscription("https://push.example.test/send/1")).json;
    const cases: [unknown, string][] = [
      [{ ...good, endpoint: "http://push.example.test/send/1" }, "https URL of a push service"],
      [{ ...good, endpoint: "https://10.0.0.7/send/1" }, "https URL of a push service"],
      [{ ...good, endpoint: "https://user:secret@push.example.test/x" }, "https URL of a push service"],
      [{ ...good, endpoint: "not a url" }, "endpoint must be a URL"],
      [{ ...good, keys: { ...good.keys, p256dh: Buffer.alloc(33, 2).toString("base64url") } }, "uncompressed P-256"],
      [{ ...good, keys: { ...good.keys, auth: Buffer.alloc(8).toString("base64url") } }, "keys.auth must be 16 bytes"],
      [{ ...good, keys: { ...good.keys, auth: "not/base64url" } }, "keys.auth"],
      [{ endpoint: good.endpoint }, "keys"],
      [{ ...good, extra: 1 }, "extra"],
    ];
    for (const [body, message] of cases) {
      const response = await call(context, person, "POST", "/api/push/subscribe", body);
      expect(response.status).toBe(400);
      expect(JSON.stringify(await response.json())).toContain(message);
    }
    expect(devices(context, person.userId)).toEqual([]);
    expect((await context.request("/api/push/subscribe", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(good) })).status).toBe(401);
    expect((await context.request("/api/push/key")).status).toBe(401);
  });
});

describe("push delivery", () => {
  test("a test push arrives encrypted for the device and signed for the push service, with TTL, urgency and topic", async () => {
    const context = app();
    const fake = fakePush();
    const person = signIn(context.database);
    const device = await browserSubscription(fake.endpoint());
    await call(context, person, "POST", "/api/push/subscribe", device.json);

    const response = await call(context, person, "POST", "/api/push/test");
    expect(await response.json()).toEqual({ ok: true, queued: 1 });
    await context.runtime.outbox.idle();

    expect(fake.received).toHaveLength(1);
    const [push] = fake.received;
    expect(JSON.parse(await device.decrypt(push!.body))).toEqual({ kind: "test", text: "Notifications work. This is how a tip will reach you." });
    expect(push!.headers).toMatchObject({ "content-encoding": "aes128gcm", ttl: "3600", urgency: "normal", topic: "oo-test" });
    const claims = await verifiedVapid(push!.headers.authorization!, vapid.publicKey);
    expect(claims.aud).toBe(fake.origin);
    expect(claims.sub).toBe("mailto:ops@oo.test");
    expect(claims.exp * 1000).toBeGreaterThan(Date.now());
    expect(claims.exp * 1000).toBeLessThanOrEqual(Date.now() + DAY_MS);
    // Someone else's keys cannot read it.
    await expect((await browserSubscription(device.json.endpoint)).decrypt(push!.body)).rejects.toThrow();

    expect(context.modules.notifier.deliveriesOf(person.userId)).toMatchObject([{ kind: "test", status: "sent", httpStatus: 201, error: null }]);
    expect(context.modules.notifier.deliveryStats()).toMatchObject({ sent: 1, failed: 0, pruned: 0, retried: 0 });
    // With no device, nothing is queued.
    const nobody = signIn(context.database);
    expect(await (await call(context, nobody, "POST", "/api/push/test")).json()).toEqual({ ok: true, queued: 0 });
  });

  test("410 deletes the subscription; 429 waits for its Retry-After; a 5xx is retried, then lands once", async () => {
    const context = app();
    const fake = fakePush();
    const person = signIn(context.database);
    const gone = await browserSubscription(fake.endpoint());
    await call(context, person, "POST", "/api/push/subscribe", gone.json);
    fake.respondNext({ status: 410 });
    await call(context, person, "POST", "/api/push/test");
    await context.runtime.outbox.idle();
    expect(devices(context, person.userId)).toEqual([]);
    expect(context.modules.notifier.deliveriesOf(person.userId)[0]).toMatchObject({ status: "pruned", httpStatus: 410, subscriptionId: null });

    const device = await browserSubscription(fake.endpoint());
    await call(context, person, "POST", "/api/push/subscribe", device.json);
    const item = () => context.database.db.select().from(outbox).where(eq(outbox.kind, "push.send")).all().at(-1)!;
    fake.respondNext({ status: 429, headers: { "retry-after": "120" } });
    const asked = Date.now();
    await call(context, person, "POST", "/api/push/test");
    await context.runtime.outbox.idle();
    expect(item()).toMatchObject({ doneAt: null, attempts: 1, lastError: "rate limited by the push service" });
    expect(item().nextAttemptAt).toBeGreaterThanOrEqual(asked + 120_000);

    // Due again (as if the two minutes had passed), the service fails once more, then takes it.
    fake.respondNext({ status: 503 });
    context.database.sqlite.run("UPDATE outbox SET next_attempt_at = 0 WHERE done_at IS NULL");
    await context.runtime.outbox.kick();
    expect(item()).toMatchObject({ doneAt: null, attempts: 2, lastError: "the push service failed (503)" });
    context.database.sqlite.run("UPDATE outbox SET next_attempt_at = 0 WHERE done_at IS NULL");
    await context.runtime.outbox.kick();
    expect(item().doneAt).not.toBeNull();

    const statuses = context.modules.notifier.deliveriesOf(person.userId).map((row) => `${row.status}:${row.httpStatus}`);
    expect(statuses).toEqual(["sent:201", "retry:503", "retry:429", "pruned:410"]);
    expect(fake.received.filter((push) => push.path === new URL(device.json.endpoint).pathname)).toHaveLength(3);
    expect(context.modules.notifier.deliveryStats()).toMatchObject({ sent: 1, retried: 2, pruned: 1, lastError: { error: "the push service failed (503)" } });
  });

  test("a push pending when the server stops is sent after the restart, once", async () => {
    const dir = tempDir();
    cleanups.push(() => dir.cleanup());
    const path = `${dir.path}/oo.db`;
    const fake = fakePush();
    const first = app(path);
    const person = signIn(first.database);
    const device = await browserSubscription(fake.endpoint());
    await call(first, person, "POST", "/api/push/subscribe", device.json);
    fake.respondNext({ status: 503 });
    await call(first, person, "POST", "/api/push/test");
    await first.runtime.outbox.idle();
    await first.close();
    contexts.splice(contexts.indexOf(first), 1);

    const second = app(path);
    second.database.sqlite.run("UPDATE outbox SET next_attempt_at = 0 WHERE done_at IS NULL");
    await second.runtime.outbox.kick();
    await second.runtime.outbox.kick();
    expect(fake.received).toHaveLength(2);
    expect(JSON.parse(await device.decrypt(fake.received[1]!.body)).kind).toBe("test");
    expect(second.modules.notifier.deliveriesOf(person.userId).map((row) => row.status)).toEqual(["sent", "retry"]);
  });
});
