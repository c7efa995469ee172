import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { eq, sql } from "drizzle-orm";
import { parseCrontab, quickAddJob, runOnce } from "graphile-worker";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { alertRules, auditLog, exceptions, notifications, webhookDeliveries } from "@/server/db/schema";
import { silentLog } from "@/server/log";
import type { OutboundPolicy, ResolvedAddress } from "@/server/net/outbound";
import { deliverWebhookTask } from "@/sync/tasks/deliver-webhook";
import { evaluateAlertsTask } from "@/sync/tasks/evaluate-alerts";
import { CRONTAB, taskList } from "@/sync/tasks";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { systemCtx } from "../../../../test/factories";
import { raiseException } from "../exceptions/raise";
import { deliverWebhook, publicBaseUrl, type WebhookPayload } from "./deliver";
import { evaluateAlerts } from "./evaluate";
import { createRule } from "./rules";
import { signWebhook, verifyWebhookSignature } from "./signature";

const key = randomBytes(32);
const secret = `whsec-${randomBytes(16).toString("hex")}`;

type Received = { headers: IncomingHttpHeaders; raw: string; verified: boolean };

/** A receiver on an ephemeral port: checks each call's signature as a real one would, and answers `answer`. */
let server: Server;
let base: string;
let received: Received[] = [];
let answer = 200;

let t: TestDatabase;
const ctx = () => systemCtx(t.db, "webhook-test");

beforeAll(async () => {
  t = await createTestDatabase();
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      const verified = verifyWebhookSignature({
        secret,
        rawBody: raw,
        timestamp: req.headers["x-hourbridge-timestamp"] as string | undefined,
        signature: req.headers["x-hourbridge-signature"] as string | undefined,
      });
      received.push({ headers: req.headers, raw, verified });
      res.writeHead(verified ? answer : 401, { "content-type": "text/plain" });
      res.end(verified ? (answer === 200 ? "ok" : "receiver is down") : "bad signature");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await t?.drop();
});
beforeEach(() => {
  received = [];
  answer = 200;
});

let n = 0;
/**
 * A finance rule with a webhook to `path` (on the test receiver, or `opts.url`) that has just
 * fired (two open exceptions over a threshold of 1), and its delivery.
 */
async function firingRule(path: string, secretOverride = secret, opts: { url?: string; outbound?: OutboundPolicy } = {}) {
  n += 1;
  const rule = await createRule({
    ctx: ctx(),
    input: { ownerTeam: "finance", name: `Hook ${n}`, condition: "open_count_over", threshold: "1", webhookUrl: opts.url ?? `${base}${path}`, webhookSecret: secretOverride },
    secretsKey: key,
    outbound: opts.outbound,
  });
  for (const i of [1, 2]) {
    await t.db.transaction((tx) =>
      raiseException(tx, "system:test", { code: "ERP_REJECTED", subjectType: "entry", subjectKey: `hook-${n}-${i}`, subjectLabel: `Entry ${n}-${i}`, message: "Refused.", suggestedFix: "Fix it.", link: {} }),
    );
  }
  await t.db.execute(sql`update exceptions set value_reporting = 1500.25 where subject_key like ${`hook-${n}-%`}`);
  const result = await evaluateAlerts({ ctx: ctx() });
  const fired = result.fired.find((f) => f.ruleId === rule.id);
  expect(fired, "the rule fires").toBeTruthy();
  const [delivery] = await t.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.notificationId, fired!.notificationId));
  // the next test starts from a quiet queue
  await t.db.update(exceptions).set({ status: "resolved" }).where(sql`${exceptions.subjectKey} like ${`hook-${n}-%`}`);
  await t.db.update(alertRules).set({ active: false }).where(eq(alertRules.id, rule.id));
  return { rule, notificationId: fired!.notificationId, delivery: delivery! };
}

const deliveryRow = async (id: string) => (await t.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id)))[0]!;

describe("signatures", () => {
  it("verifies its own signature, and refuses a changed body, another secret, an old timestamp or a missing header", () => {
    const now = new Date("2026-11-20T10:00:00Z");
    const ts = Math.floor(now.getTime() / 1000);
    const body = '{"id":"x","title":"Finance: USD 52,660 blocked"}';
    const sig = signWebhook("s3cret-s3cret-s3cret", ts, body);
    expect(sig).toMatch(/^v1=[0-9a-f]{64}$/);
    const ok = { secret: "s3cret-s3cret-s3cret", rawBody: body, timestamp: String(ts), signature: sig, now };
    expect(verifyWebhookSignature(ok)).toBe(true);
    expect(verifyWebhookSignature({ ...ok, signature: `v1=${"0".repeat(64)}, ${sig}` })).toBe(true); // rotation: any listed one
    expect(verifyWebhookSignature({ ...ok, rawBody: body.replace("52,660", "2,660") })).toBe(false);
    expect(verifyWebhookSignature({ ...ok, secret: "another-secret-entirely" })).toBe(false);
    expect(verifyWebhookSignature({ ...ok, now: new Date(now.getTime() + 301_000) })).toBe(false);
    expect(verifyWebhookSignature({ ...ok, now: new Date(now.getTime() - 301_000) })).toBe(false);
    expect(verifyWebhookSignature({ ...ok, now: new Date(now.getTime() + 299_000) })).toBe(true);
    expect(verifyWebhookSignature({ ...ok, timestamp: String(ts + 1) })).toBe(false);
    expect(verifyWebhookSignature({ ...ok, signature: undefined })).toBe(false);
    expect(verifyWebhookSignature({ ...ok, signature: sig.slice(0, -1) })).toBe(false);
    expect(verifyWebhookSignature({ ...ok, timestamp: "soon" })).toBe(false);
  });

  it("takes the public address from AUTH_URL, without next-auth's path", () => {
    expect(publicBaseUrl({ AUTH_URL: "https://hourbridge.example.com/api/auth" })).toBe("https://hourbridge.example.com");
    expect(publicBaseUrl({ AUTH_URL: "https://ops.example.com/hourbridge/" })).toBe("https://ops.example.com/hourbridge");
    expect(publicBaseUrl({})).toMatch(/^http:\/\/localhost:\d+$/);
    expect(publicBaseUrl({ AUTH_URL: "not a url" })).toMatch(/^http:\/\/localhost:\d+$/);
  });
});

describe("webhook delivery", () => {
  it("posts the signed payload once; the receiver verifies it", async () => {
    const { rule, notificationId, delivery } = await firingRule("/hooks/ok");
    const out = await deliverWebhook({ ctx: ctx(), deliveryId: delivery.id, attempt: 1, maxAttempts: 8, secretsKey: key });
    expect(out).toMatchObject({ status: "delivered", attempts: 1, responseStatus: 200, error: null });
    expect(received).toHaveLength(1);
    const [call] = received;
    expect(call!.verified).toBe(true);
    expect(call!.headers["content-type"]).toBe("application/json");
    expect(call!.headers["x-hourbridge-delivery"]).toBe(delivery.id);
    expect(Math.abs(Number(call!.headers["x-hourbridge-timestamp"]) - Date.now() / 1000)).toBeLessThan(30);
    const body = JSON.parse(call!.raw) as WebhookPayload;
    const [n] = await t.db.select().from(notifications).where(eq(notifications.id, notificationId));
    expect(body).toEqual({
      id: notificationId,
      rule: { id: rule.id, name: rule.name, condition: "open_count_over", threshold: "1" },
      team: "finance",
      title: "Finance: 2 open exceptions, over the 1 threshold",
      body: n!.body,
      link: `${publicBaseUrl()}/exceptions?owner=finance`,
      firedAt: n!.createdAt.toISOString(),
      data: expect.objectContaining({ condition: "open_count_over", value: "2", openCount: 2, valueBlocked: "3000.50", currency: "USD", episode: 1 }),
    });
    expect(await deliveryRow(delivery.id)).toMatchObject({ status: "delivered", attempts: 1, responseStatus: 200, lastError: null, deliveredAt: expect.any(Date) });

    // a re-run of the job sends nothing more
    expect(await deliverWebhook({ ctx: ctx(), deliveryId: delivery.id, attempt: 2, maxAttempts: 8, secretsKey: key })).toMatchObject({ status: "delivered", attempts: 1 });
    expect(received).toHaveLength(1);
  });

  it("a receiver answering 500 makes the job fail and retry later, with the attempt recorded; the last attempt marks it failed", async () => {
    const { delivery } = await firingRule("/hooks/down");
    answer = 500;
    // through the worker itself: the job throws, graphile-worker keeps it for a retry with backoff
    await runOnce({ connectionString: t.url, taskList: { "deliver-webhook": deliverWebhookTask({ db: t.db, secretsKey: key, log: silentLog }) }, noHandleSignals: true });
    expect(received).toHaveLength(1);
    expect(received[0]!.verified).toBe(true);
    expect(await deliveryRow(delivery.id)).toMatchObject({ status: "pending", attempts: 1, responseStatus: 500, lastError: "The receiver answered 500: receiver is down" });
    const [job] = (await t.db.execute(sql`
      select j.attempts, j.max_attempts, j.last_error, j.run_at > now() as later
      from graphile_worker._private_jobs j join graphile_worker._private_tasks k on k.id = j.task_id
      where k.identifier = 'deliver-webhook' and j.payload->>'deliveryId' = ${delivery.id}`)) as unknown as { attempts: number; max_attempts: number; last_error: string; later: boolean }[];
    expect(job).toMatchObject({ attempts: 1, max_attempts: 8, later: true });
    expect(job!.last_error).toMatch(/failed \(attempt 1 of 8\): The receiver answered 500/);

    // the eighth attempt gives up: recorded as failed, no throw, audited
    const last = await deliverWebhook({ ctx: ctx(), deliveryId: delivery.id, attempt: 8, maxAttempts: 8, secretsKey: key });
    expect(last).toMatchObject({ status: "failed", attempts: 2, responseStatus: 500 });
    const audit = await t.db.select().from(auditLog).where(eq(auditLog.entityId, delivery.id));
    expect(audit.map((a) => a.action)).toEqual(["alert.webhook_failed"]);

    // and once recovered, it is delivered again
    answer = 200;
    await t.db.update(webhookDeliveries).set({ status: "pending" }).where(eq(webhookDeliveries.id, delivery.id));
    expect(await deliverWebhook({ ctx: ctx(), deliveryId: delivery.id, attempt: 1, maxAttempts: 8, secretsKey: key })).toMatchObject({ status: "delivered", attempts: 3 });
  });

  it("a receiver refusing for good (a 4xx such as a bad signature) fails without retrying; an unreachable one retries", async () => {
    const { delivery } = await firingRule("/hooks/wrong-secret", "not-the-receivers-secret");
    expect(await deliverWebhook({ ctx: ctx(), deliveryId: delivery.id, attempt: 1, maxAttempts: 8, secretsKey: key })).toMatchObject({ status: "failed", responseStatus: 401 });
    expect(received[0]!.verified).toBe(false);

    const { rule: r2, delivery: d2 } = await firingRule("/hooks/ok");
    await t.db.update(webhookDeliveries).set({ url: "http://127.0.0.1:9/closed" }).where(eq(webhookDeliveries.id, d2.id));
    await t.db.update(alertRules).set({ webhookUrl: "http://127.0.0.1:9/closed" }).where(eq(alertRules.id, r2.id));
    await expect(deliverWebhook({ ctx: ctx(), deliveryId: d2.id, attempt: 1, maxAttempts: 8, secretsKey: key })).rejects.toThrow(/could not be reached.*It will be tried again/);
    expect(await deliveryRow(d2.id)).toMatchObject({ status: "pending", attempts: 1, responseStatus: null });
  });

  it("does not call a webhook that was removed or moved after the notification", async () => {
    const { rule, delivery } = await firingRule("/hooks/ok");
    await t.db.update(alertRules).set({ webhookUrl: `${base}/hooks/elsewhere` }).where(eq(alertRules.id, rule.id));
    expect(await deliverWebhook({ ctx: ctx(), deliveryId: delivery.id, attempt: 1, maxAttempts: 8, secretsKey: key })).toMatchObject({ status: "failed" });
    expect(received).toHaveLength(0);
    expect((await deliveryRow(delivery.id)).lastError).toMatch(/removed or changed after this notification/);
  });
});

describe("internal addresses", () => {
  /** a listener that must never be called: it counts connections, not just requests */
  let trap: Server;
  let trapPort: number;
  let trapConnections = 0;
  /** a receiver that answers every call with a redirect to the trap */
  let redirector: Server;
  let redirectorBase: string;

  beforeAll(async () => {
    trap = createServer((_req, res) => res.writeHead(200).end("should not be here"));
    trap.on("connection", () => {
      trapConnections += 1;
    });
    await new Promise<void>((resolve) => trap.listen(0, "127.0.0.1", resolve));
    trapPort = (trap.address() as AddressInfo).port;
    redirector = createServer((req, res) => {
      req.resume();
      req.on("end", () => res.writeHead(302, { location: `http://127.0.0.1:${trapPort}/stolen` }).end());
    });
    await new Promise<void>((resolve) => redirector.listen(0, "127.0.0.1", resolve));
    redirectorBase = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const s of [trap, redirector]) {
      s?.closeAllConnections();
      await new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve()));
    }
  });
  beforeEach(() => {
    trapConnections = 0;
  });

  /** resolves names from a table, without asking the network */
  const resolving =
    (table: Record<string, string>): OutboundPolicy["resolve"] =>
    async (host: string): Promise<ResolvedAddress[]> => {
      const address = table[host];
      if (!address) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
      return [{ address, family: address.includes(":") ? 6 : 4 }];
    };

  it("a host that resolves to an internal address when the webhook is sent is not connected to: the delivery fails at once, recorded", async () => {
    // saved while the name resolved to a public address; it resolves to loopback now (DNS rebinding)
    const rebinding = `http://hooks.rebind.example:${trapPort}/hook`;
    const { delivery } = await firingRule("", secret, { url: rebinding, outbound: { allow: [], resolve: resolving({ "hooks.rebind.example": "93.184.215.14" }) } });
    expect(delivery.url).toBe(rebinding);
    const out = await deliverWebhook({
      ctx: ctx(),
      deliveryId: delivery.id,
      attempt: 1,
      maxAttempts: 8,
      secretsKey: key,
      outbound: { allow: [], resolve: resolving({ "hooks.rebind.example": "127.0.0.1" }) },
    });
    const said = "The webhook URL resolves to 127.0.0.1, a loopback address; Hourbridge does not send to internal addresses. It was not sent; change the rule's webhook URL.";
    expect(out).toMatchObject({ status: "failed", attempts: 1, responseStatus: null, error: said });
    expect(await deliveryRow(delivery.id)).toMatchObject({ status: "failed", attempts: 1, responseStatus: null, lastError: said, deliveredAt: null });
    const audit = await t.db.select().from(auditLog).where(eq(auditLog.entityId, delivery.id));
    expect(audit).toMatchObject([{ action: "alert.webhook_failed", after: { error: said } }]);

    // the system resolver, with no internal address allowed: localhost is loopback
    const { rule: r2, delivery: d2 } = await firingRule("/hooks/ok");
    const local = `http://localhost:${trapPort}/hook`;
    await t.db.update(alertRules).set({ webhookUrl: local }).where(eq(alertRules.id, r2.id));
    await t.db.update(webhookDeliveries).set({ url: local }).where(eq(webhookDeliveries.id, d2.id));
    expect(await deliverWebhook({ ctx: ctx(), deliveryId: d2.id, attempt: 1, maxAttempts: 8, secretsKey: key, outbound: { allow: [] } })).toMatchObject({
      status: "failed",
      error: expect.stringMatching(/^The webhook URL resolves to (127\.0\.0\.1|::1), a loopback address; Hourbridge does not send to internal addresses\./),
    });

    expect(trapConnections).toBe(0);
  });

  it("through the worker, with the process's own allow-list: an address it does not list fails the delivery without failing the job", async () => {
    const { rule, delivery } = await firingRule("/hooks/ok");
    const unlisted = `http://127.0.0.2:${trapPort}/hook`; // loopback, but not on OUTBOUND_ALLOW_HOSTS
    await t.db.update(alertRules).set({ webhookUrl: unlisted }).where(eq(alertRules.id, rule.id));
    await t.db.update(webhookDeliveries).set({ url: unlisted }).where(eq(webhookDeliveries.id, delivery.id));
    // the delivery's job, queued when the rule fired
    await runOnce({ connectionString: t.url, taskList: { "deliver-webhook": deliverWebhookTask({ db: t.db, secretsKey: key, log: silentLog }) }, noHandleSignals: true });
    expect(await deliveryRow(delivery.id)).toMatchObject({
      status: "failed",
      attempts: 1,
      lastError: "The webhook URL resolves to 127.0.0.2, a loopback address; Hourbridge does not send to internal addresses. It was not sent; change the rule's webhook URL.",
    });
    const jobs = (await t.db.execute(sql`
      select j.id from graphile_worker._private_jobs j join graphile_worker._private_tasks k on k.id = j.task_id
      where k.identifier = 'deliver-webhook' and j.payload->>'deliveryId' = ${delivery.id}`)) as unknown as unknown[];
    expect(jobs, "the job completed (it is not kept for a retry)").toHaveLength(0);
    expect(trapConnections).toBe(0);
  });

  it("a redirect is not followed: the delivery fails naming it, and its target is never called", async () => {
    const { rule, delivery } = await firingRule("/hooks/ok");
    const url = `${redirectorBase}/hook`;
    await t.db.update(alertRules).set({ webhookUrl: url }).where(eq(alertRules.id, rule.id));
    await t.db.update(webhookDeliveries).set({ url }).where(eq(webhookDeliveries.id, delivery.id));
    const out = await deliverWebhook({ ctx: ctx(), deliveryId: delivery.id, attempt: 1, maxAttempts: 8, secretsKey: key });
    expect(out).toMatchObject({
      status: "failed",
      responseStatus: 302,
      error: `The receiver answered 302, a redirect to http://127.0.0.1:${trapPort}/stolen; webhooks do not follow redirects, so give the final address as the webhook URL.`,
    });
    expect(trapConnections).toBe(0);
  });
});

describe("the worker's jobs", () => {
  it("evaluate-alerts runs every five minutes and notifies through the same evaluation; both jobs are registered", async () => {
    expect(CRONTAB.split("\n")).toContain("*/5 * * * * evaluate-alerts ?jobKey=evaluate-alerts");
    expect(parseCrontab(CRONTAB).find((c) => c.task === "evaluate-alerts")).toMatchObject({ options: { jobKey: "evaluate-alerts" } });
    const tasks = taskList({ db: t.db, secretsKey: key, log: silentLog });
    expect(Object.keys(tasks)).toEqual(expect.arrayContaining(["evaluate-alerts", "deliver-webhook"]));

    const rule = await createRule({ ctx: ctx(), input: { ownerTeam: "integration", name: "Dead postings", condition: "older_than_sla" }, secretsKey: key });
    await t.db.transaction((tx) =>
      raiseException(tx, "system:test", { code: "POSTING_DEAD", subjectType: "posting", subjectKey: "job-test-1", subjectLabel: "Posting 1", message: "Dead.", suggestedFix: "Replay.", link: {} }),
    );
    await t.db.execute(sql`update exceptions set first_seen_at = now() - interval '9 hours' where subject_key = 'job-test-1'`); // critical: 8 h
    await quickAddJob({ connectionString: t.url }, "evaluate-alerts", {}, { jobKey: "evaluate-alerts" });
    await runOnce({ connectionString: t.url, taskList: { "evaluate-alerts": evaluateAlertsTask({ db: t.db, secretsKey: key, log: silentLog }) }, noHandleSignals: true });
    const sent = await t.db.select().from(notifications).where(eq(notifications.ruleId, rule.id));
    expect(sent).toMatchObject([{ title: "Integration: 1 exception past its SLA", link: "/exceptions?owner=integration&overSla=1" }]);
    const [fired] = await t.db.select().from(auditLog).where(eq(auditLog.entityId, rule.id)).orderBy(auditLog.id).offset(1);
    expect(fired).toMatchObject({ action: "alert.fired", actorLabel: "system:worker:evaluate-alerts" });
  });
});
