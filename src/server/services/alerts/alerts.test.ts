import { randomBytes } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createCaller } from "@/server/api/root";
import { decryptSecret } from "@/server/crypto/secrets";
import { alertRules, auditLog, exceptions, exceptionSlas, notifications, webhookDeliveries } from "@/server/db/schema";
import type { ExceptionCode } from "@/server/domain/enums";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { ctxFor, makeUser, serviceCtxFor, systemCtx, type TestUser } from "../../../../test/factories";
import { DomainError } from "../errors";
import { queueFigures } from "../exceptions/figures";
import { listExceptions } from "../exceptions/list";
import { raiseException } from "../exceptions/raise";
import { evaluateAlerts } from "./evaluate";
import { listNotifications, markAllRead, markRead, unreadCount } from "./notifications";
import { createRule, deleteRule, listRules, setRuleActive, updateRule, type CreateRuleInput } from "./rules";
import { expectDomain } from "../../../../test/expect-domain";

// A webhook URL is resolved when a rule is saved. These names resolve here, without asking the
// network: the example receivers to a public address, internal.example.net to a private one.
// Every other name goes to the system resolver.
vi.mock("node:dns", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:dns") & { default: typeof import("node:dns") }>();
  const table: Record<string, string> = { "hooks.example.com": "93.184.215.14", "internal.example.net": "10.1.2.3" };
  const lookup = (host: string, options: unknown, callback: (err: Error | null, addresses: { address: string; family: number }[]) => void) => {
    const address = table[host];
    if (address) {
      callback(null, [{ address, family: 4 }]);
      return;
    }
    (real.lookup as (h: string, o: unknown, cb: unknown) => void)(host, options, callback);
  };
  return { ...real, lookup, default: { ...real.default, lookup } };
});

const key = randomBytes(32);
// the tRPC layer reads the secrets key from the environment, as the web app does
process.env.CONNECTOR_SECRETS_KEY = key.toString("base64");


let t: TestDatabase;
let admin: TestUser, finance: TestUser, pmo: TestUser, exec: TestUser;
const sys = () => systemCtx(t.db, "alerts-test");
const as = (u: TestUser) => serviceCtxFor(t.db, u);
const reader = (u: TestUser) => ({ userId: u.id, roles: u.roles });

let subject = 0;
/** An open exception of this code (its owner follows from the code), blocking `value` USD, first seen `ageHours` ago. */
async function raise(code: ExceptionCode, value: string | null, ageHours = 1): Promise<string> {
  subject += 1;
  const id = await t.db.transaction((tx) =>
    raiseException(tx, "system:test", {
      code,
      subjectType: "entry",
      subjectKey: `alerts-test:${subject}`,
      subjectLabel: `Entry ${subject}`,
      message: "Planted by the test.",
      suggestedFix: "None.",
      link: {},
    }),
  );
  await t.db.execute(sql`update exceptions set value_reporting = ${value}, first_seen_at = now() - make_interval(hours => ${ageHours}) where id = ${id}`);
  return id;
}
const setStatus = (id: string, status: "open" | "resolved") => t.db.update(exceptions).set({ status }).where(eq(exceptions.id, id));
const notificationsOf = (ruleId: string) => t.db.select().from(notifications).where(eq(notifications.ruleId, ruleId)).orderBy(notifications.createdAt);
const ruleRow = async (id: string) => (await t.db.select().from(alertRules).where(eq(alertRules.id, id)))[0]!;

beforeAll(async () => {
  t = await createTestDatabase();
  admin = await makeUser(t.db, { roles: ["admin"] });
  finance = await makeUser(t.db, { roles: ["finance_ops"], name: "Fiona Finance" });
  pmo = await makeUser(t.db, { roles: ["pmo"], name: "Paul PMO" });
  exec = await makeUser(t.db, { roles: ["executive"] });
});
afterAll(async () => t?.drop());

const rule = (over: Partial<CreateRuleInput> & Pick<CreateRuleInput, "ownerTeam" | "condition">): CreateRuleInput => ({ name: `Rule ${randomBytes(3).toString("hex")}`, ...over });

describe("alert conditions", () => {
  it("value blocked over a threshold fires once, stays quiet while firing, re-arms when it clears and fires a new episode", async () => {
    const a = await raise("DUPLICATE_SUSPECTED", "30000.00");
    await raise("BILL_RATE_MISSING", "22660.40");
    await raise("BILL_RATE_MISSING", null); // no value yet: not counted, and said so
    await raise("PROJECT_UNMAPPED", "99999.00"); // another team's

    const r = await createRule({ ctx: as(finance), input: rule({ ownerTeam: "finance", condition: "value_blocked_over", threshold: "50000", name: "Finance blocked" }), secretsKey: key });
    expect(r.threshold).toBe("50000.00");

    const first = await evaluateAlerts({ ctx: sys() });
    expect(first.fired.map((f) => f.ruleId)).toEqual([r.id]);
    const [n] = await notificationsOf(r.id);
    expect(n).toMatchObject({
      ownerTeam: "finance",
      dedupeKey: `${r.id}:1`,
      title: "Finance: USD 52,660 blocked, over the 50,000 threshold",
      link: "/exceptions?owner=finance",
    });
    expect(n!.body).toContain("2 open exceptions owned by Finance block USD 52,660.40");
    expect(n!.body).toContain("1 more exception has no value in USD yet");
    expect(n!.body).toContain(`Rule "Finance blocked" fires when Finance's open exceptions block more than USD 50,000.`);
    expect(n!.data).toMatchObject({ value: "52660.40", openCount: 3, unvalued: 1, episode: 1 });

    // the figure is the queue's own: the header for the notification's link shows the same value
    const figures = await queueFigures({ ctx: sys(), viewer: { userId: admin.id, roles: admin.roles, scope: admin.scope }, input: { filter: { owner: ["finance"] } } });
    expect(figures.value).toBe("52660.40");
    expect(figures.open).toBe(3);

    // still over: nothing new
    const again = await evaluateAlerts({ ctx: sys() });
    expect(again.fired).toEqual([]);
    expect(await notificationsOf(r.id)).toHaveLength(1);
    expect(await ruleRow(r.id)).toMatchObject({ firing: true, episode: 1, lastValue: "52660.40" });

    // cleared: re-arms without notifying
    await setStatus(a, "resolved");
    const cleared = await evaluateAlerts({ ctx: sys() });
    expect(cleared.cleared.map((c) => c.ruleId)).toContain(r.id);
    expect(await ruleRow(r.id)).toMatchObject({ firing: false, episode: 1, lastValue: "22660.40" });
    expect(await notificationsOf(r.id)).toHaveLength(1);

    // over again: a new episode, a new notification
    await setStatus(a, "open");
    const refired = await evaluateAlerts({ ctx: sys() });
    expect(refired.fired.find((f) => f.ruleId === r.id)).toMatchObject({ episode: 2 });
    expect((await notificationsOf(r.id)).map((x) => x.dedupeKey)).toEqual([`${r.id}:1`, `${r.id}:2`]);

    const audit = await t.db.select({ action: auditLog.action }).from(auditLog).where(and(eq(auditLog.entityType, "alert_rule"), eq(auditLog.entityId, r.id))).orderBy(auditLog.id);
    expect(audit.map((x) => x.action)).toEqual(["alert_rule.create", "alert.fired", "alert.cleared", "alert.fired"]);
  });

  it("open count over a threshold counts the team's open exceptions only", async () => {
    const r = await createRule({ ctx: as(pmo), input: rule({ ownerTeam: "pmo", condition: "open_count_over", threshold: "2" }), secretsKey: key });
    await evaluateAlerts({ ctx: sys() });
    expect(await notificationsOf(r.id)).toEqual([]); // 1 open PMO exception
    const second = await raise("PROJECT_NOT_ACTIVE", "10.00");
    const third = await raise("HOURS_INVALID", "5.00");
    const fired = await evaluateAlerts({ ctx: sys() });
    expect(fired.fired.map((f) => f.ruleId)).toContain(r.id);
    const [n] = await notificationsOf(r.id);
    expect(n).toMatchObject({ title: "PMO: 3 open exceptions, over the 2 threshold", link: "/exceptions?owner=pmo" });
    // exactly what the queue lists for the link's filter
    const listed = await listExceptions({ ctx: sys(), viewer: { userId: admin.id, roles: admin.roles, scope: admin.scope }, input: { filter: { owner: ["pmo"] } } });
    expect(listed.items).toHaveLength(3);
    await setStatus(second, "resolved");
    await setStatus(third, "resolved");
    await evaluateAlerts({ ctx: sys() });
    expect(await ruleRow(r.id)).toMatchObject({ firing: false, lastValue: "1" });
  });

  it("any exception past its SLA fires, following the per-code SLA, and links to the queue's past-SLA filter", async () => {
    const r = await createRule({ ctx: as(pmo), input: rule({ ownerTeam: "hr", condition: "older_than_sla" }), secretsKey: key });
    await raise("COST_RATE_MISSING", "100.00", 30); // medium: 72 h by default
    await evaluateAlerts({ ctx: sys() });
    expect(await notificationsOf(r.id)).toEqual([]);
    const late = await raise("EMPLOYEE_UNMAPPED", "200.00", 30); // high: 24 h
    await evaluateAlerts({ ctx: sys() });
    const [n] = await notificationsOf(r.id);
    expect(n).toMatchObject({ title: "HR: 1 exception past its SLA", link: "/exceptions?owner=hr&overSla=1" });
    const listed = await listExceptions({ ctx: sys(), viewer: { userId: admin.id, roles: admin.roles, scope: admin.scope }, input: { filter: { owner: ["hr"], overSla: true } } });
    expect(listed.items.map((i) => i.id)).toEqual([late]);

    // the code's SLA is raised to 48 h: no longer late, the rule clears
    await t.db.insert(exceptionSlas).values({ code: "EMPLOYEE_UNMAPPED", slaHours: 48, updatedBy: "test" });
    await evaluateAlerts({ ctx: sys() });
    expect(await ruleRow(r.id)).toMatchObject({ firing: false, lastValue: "0" });
  });

  it("two evaluations at once notify once, with one webhook delivery and one job", async () => {
    const r = await createRule({
      ctx: as(finance),
      input: rule({ ownerTeam: "integration", condition: "open_count_over", threshold: "1", webhookUrl: "https://hooks.example.com/hb", webhookSecret: "a-signing-secret-of-some-length" }),
      secretsKey: key,
    });
    await raise("POSTING_DEAD", "10.00");
    await raise("PAYLOAD_INVALID", null);
    const results = await Promise.all([evaluateAlerts({ ctx: sys() }), evaluateAlerts({ ctx: sys() }), evaluateAlerts({ ctx: sys() })]);
    expect(results.flatMap((x) => x.fired).filter((f) => f.ruleId === r.id)).toHaveLength(1);
    const ns = await notificationsOf(r.id);
    expect(ns).toHaveLength(1);
    const deliveries = await t.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.notificationId, ns[0]!.id));
    expect(deliveries).toMatchObject([{ url: "https://hooks.example.com/hb", status: "pending", attempts: 0 }]);
    const jobs = (await t.db.execute(sql`select j.payload, j.max_attempts from graphile_worker._private_jobs j join graphile_worker._private_tasks k on k.id = j.task_id where k.identifier = 'deliver-webhook'`)) as unknown as { payload: { deliveryId: string }; max_attempts: number }[];
    expect(jobs.filter((j) => j.payload.deliveryId === deliveries[0]!.id)).toMatchObject([{ max_attempts: 8 }]);
    expect(await ruleRow(r.id)).toMatchObject({ firing: true, episode: 1 });
  });

  it("an inactive rule is not evaluated; changing what a rule watches re-arms it", async () => {
    const r = await createRule({ ctx: as(admin), input: rule({ ownerTeam: "finance", condition: "open_count_over", threshold: "1" }), secretsKey: key });
    const off = await setRuleActive({ ctx: as(admin), input: { id: r.id, expectedVersion: r.version, active: false } });
    await evaluateAlerts({ ctx: sys() });
    expect(await notificationsOf(r.id)).toEqual([]);
    const on = await setRuleActive({ ctx: as(admin), input: { id: r.id, expectedVersion: off.version, active: true } });
    await evaluateAlerts({ ctx: sys() });
    expect(await notificationsOf(r.id)).toHaveLength(1);
    const edited = await updateRule({ ctx: as(admin), input: { id: r.id, expectedVersion: on.version, ownerTeam: "finance", name: on.name, condition: "open_count_over", threshold: "2" }, secretsKey: key });
    expect(edited.firing).toBe(false);
    await evaluateAlerts({ ctx: sys() });
    expect((await notificationsOf(r.id)).map((n) => n.dedupeKey)).toEqual([`${r.id}:1`, `${r.id}:2`]);
  });
});

describe("managing rules", () => {
  it("each role manages its own teams' rules; admin manages all; everyone in the queue reads all", async () => {
    const f = await createRule({ ctx: as(finance), input: rule({ ownerTeam: "finance", condition: "older_than_sla" }), secretsKey: key });
    await createRule({ ctx: as(finance), input: rule({ ownerTeam: "integration", condition: "older_than_sla" }), secretsKey: key });
    await expectDomain(createRule({ ctx: as(finance), input: rule({ ownerTeam: "pmo", condition: "older_than_sla" }), secretsKey: key }), "forbidden", /PMO's alert rules/);
    await expectDomain(createRule({ ctx: as(pmo), input: rule({ ownerTeam: "finance", condition: "older_than_sla" }), secretsKey: key }), "forbidden");
    const p = await createRule({ ctx: as(pmo), input: rule({ ownerTeam: "hr", condition: "older_than_sla" }), secretsKey: key });

    await expectDomain(setRuleActive({ ctx: as(pmo), input: { id: f.id, expectedVersion: f.version, active: false } }), "forbidden");
    await expectDomain(deleteRule({ ctx: as(pmo), input: { id: f.id, expectedVersion: f.version } }), "forbidden");
    await expectDomain(updateRule({ ctx: as(pmo), input: { id: f.id, expectedVersion: f.version, ownerTeam: "hr", name: f.name, condition: "older_than_sla" }, secretsKey: key }), "forbidden");
    // moving one's own rule to another team's is refused too
    await expectDomain(updateRule({ ctx: as(finance), input: { id: f.id, expectedVersion: f.version, ownerTeam: "pmo", name: f.name, condition: "older_than_sla" }, secretsKey: key }), "forbidden");
    expect(await ruleRow(f.id)).toMatchObject({ ownerTeam: "finance", active: true, version: 1 });

    const seenByPmo = await listRules({ ctx: as(pmo) });
    expect(seenByPmo.manageableTeams).toEqual(["pmo", "hr"]);
    expect(seenByPmo.rules.find((x) => x.id === f.id)).toMatchObject({ canManage: false });
    expect(seenByPmo.rules.find((x) => x.id === p.id)).toMatchObject({ canManage: true });

    const off = await setRuleActive({ ctx: as(admin), input: { id: p.id, expectedVersion: p.version, active: false } });
    await deleteRule({ ctx: as(admin), input: { id: off.id, expectedVersion: off.version } });
    expect(await t.db.$count(alertRules, eq(alertRules.id, p.id))).toBe(0);

    // the executive has no rules to read or write, by any procedure
    const caller = createCaller(ctxFor(t.db, exec));
    for (const call of [() => caller.alerts.rules(), () => caller.alerts.createRule(rule({ ownerTeam: "finance", condition: "older_than_sla" })), () => caller.alerts.notifications({})]) {
      const err = await call().catch((e: unknown) => e);
      expect((err as TRPCError).code).toBe("FORBIDDEN");
    }
  });

  it("refuses bad input with messages naming what to fix", async () => {
    const make = (over: Record<string, unknown>) => createRule({ ctx: as(admin), input: { ownerTeam: "finance", name: "Bad", condition: "value_blocked_over", threshold: "100", ...over } as CreateRuleInput, secretsKey: key });
    await expectDomain(make({ threshold: undefined }), "invalid", /threshold: "value blocked over" needs a threshold: an amount in USD/);
    await expectDomain(make({ threshold: "50,000" }), "invalid", /an amount like 50000 or 50000\.50/);
    await expectDomain(make({ threshold: "0" }), "invalid", /more than 0/);
    await expectDomain(make({ threshold: "-5" }), "invalid", /an amount like/);
    await expectDomain(make({ condition: "open_count_over", threshold: "2.5" }), "invalid", /whole number of exceptions/);
    await expectDomain(make({ condition: "older_than_sla", threshold: "3" }), "invalid", /takes no threshold/);
    await expectDomain(make({ condition: "value_over" }), "invalid", /condition: "value_over" is not a condition; choose one of value_blocked_over, open_count_over, older_than_sla/);
    await expectDomain(make({ ownerTeam: "accounting" }), "invalid", /ownerTeam: "accounting" is not a team/);
    await expectDomain(make({ webhookUrl: "ftp://files.example.com/in", webhookSecret: "a-signing-secret-of-some-length" }), "invalid", /must start with https:\/\/ or http:\/\//);
    await expectDomain(make({ webhookUrl: "hooks.example.com", webhookSecret: "a-signing-secret-of-some-length" }), "invalid", /is not a URL/);
    await expectDomain(make({ webhookUrl: "https://u:p@hooks.example.com/", webhookSecret: "a-signing-secret-of-some-length" }), "invalid", /cannot carry a user name or password/);
    await expectDomain(make({ webhookUrl: "https://hooks.example.com/" }), "invalid", /webhookSecret: a webhook needs a signing secret/);
    await expectDomain(make({ webhookUrl: "https://hooks.example.com/", webhookSecret: "short" }), "invalid", /at least 16 characters/);
    await expectDomain(make({ name: "  " }), "invalid", /name: give the rule a name/);

    // through the API: 400 with the same sentence
    const caller = createCaller(ctxFor(t.db, admin));
    const err = await caller.alerts.createRule({ ownerTeam: "finance", name: "Bad", condition: "nope" as never }).catch((e: unknown) => e);
    expect((err as TRPCError).code).toBe("BAD_REQUEST");
    // (over HTTP the error formatter turns zod's issues into one sentence; a direct caller sees them as JSON)
    expect((err as TRPCError).message).toMatch(/"condition"[\s\S]*nope\\" is not a condition; choose one of value_blocked_over/);

    // the same name twice in a team, and a stale version
    const ok = await make({ name: "Twice" });
    await expectDomain(make({ name: "Twice" }), "conflict", /Finance already has an alert rule named "Twice"/);
    const v2 = await updateRule({ ctx: as(admin), input: { id: ok.id, expectedVersion: 1, ownerTeam: "finance", name: "Twice", condition: "value_blocked_over", threshold: "200" }, secretsKey: key });
    expect(v2).toMatchObject({ version: 2, threshold: "200.00" });
    await expectDomain(
      updateRule({ ctx: as(admin), input: { id: ok.id, expectedVersion: 1, ownerTeam: "finance", name: "Twice", condition: "value_blocked_over", threshold: "300" }, secretsKey: key }),
      "conflict",
      /was changed by .* after you opened it \(version 2, you edited 1\)/,
    );
    await expectDomain(setRuleActive({ ctx: as(admin), input: { id: ok.id, expectedVersion: 1, active: false } }), "conflict");
  });

  it("refuses a webhook URL at an internal address, naming the address and its class, for every role that manages rules", async () => {
    const hook = { webhookSecret: "a-signing-secret-of-some-length" };
    const countRules = async () => (await t.db.select({ id: alertRules.id }).from(alertRules)).length;
    const before = await countRules();

    // a PMO user, through the service
    const metadata = await expectDomain(
      createRule({ ctx: as(pmo), input: rule({ ownerTeam: "pmo", condition: "older_than_sla", webhookUrl: "http://169.254.169.254/latest/meta-data/iam/", ...hook }), secretsKey: key }),
      "invalid",
    );
    expect(metadata.message).toBe("webhookUrl: The webhook URL resolves to 169.254.169.254, a link-local address; Hourbridge does not send to internal addresses.");
    expect(metadata.details).toMatchObject({ field: "webhookUrl", fieldErrors: { webhookUrl: ["The webhook URL resolves to 169.254.169.254, a link-local address; Hourbridge does not send to internal addresses."] } });

    // finance ops, through the API: 400 with the same sentence
    const caller = createCaller(ctxFor(t.db, finance));
    const err = await caller.alerts.createRule({ ownerTeam: "finance", name: "Inside", condition: "older_than_sla", webhookUrl: "http://10.0.0.1:8080/hook", ...hook }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCError);
    expect((err as TRPCError).code).toBe("BAD_REQUEST");
    expect((err as TRPCError).message).toBe("webhookUrl: The webhook URL resolves to 10.0.0.1, a private address; Hourbridge does not send to internal addresses.");

    // every class, however it is written, and a name that resolves to a private address
    const cases: [string, RegExp][] = [
      ["http://127.0.0.2:9000/", /resolves to 127\.0\.0\.2, a loopback address/],
      ["http://[::ffff:10.0.0.1]/", /resolves to ::ffff:a00:1 \(10\.0\.0\.1\), a private address/],
      ["http://100.64.0.1/", /carrier-grade NAT/],
      ["http://0.0.0.0:8080/", /an unspecified address/],
      ["http://[fd00::1]/", /a private \(unique local\) address/],
      ["http://[fe80::1]/", /a link-local address/],
      ["http://224.0.0.1/", /a multicast address/],
      ["https://internal.example.net/hooks", /resolves to 10\.1\.2\.3, a private address/],
    ];
    for (const [webhookUrl, message] of cases) {
      await expectDomain(createRule({ ctx: as(pmo), input: rule({ ownerTeam: "hr", condition: "older_than_sla", webhookUrl, ...hook }), secretsKey: key }), "invalid", message);
    }
    expect(await countRules()).toBe(before);

    // an edit that moves a webhook inside is refused too, and changes nothing
    const ok = await createRule({ ctx: as(pmo), input: rule({ ownerTeam: "pmo", condition: "older_than_sla", webhookUrl: "https://hooks.example.com/pmo", ...hook }), secretsKey: key });
    await expectDomain(
      updateRule({ ctx: as(pmo), input: { id: ok.id, expectedVersion: ok.version, ownerTeam: "pmo", name: ok.name, condition: "older_than_sla", webhookUrl: "http://192.168.1.20/hook" }, secretsKey: key }),
      "invalid",
      /^webhookUrl: The webhook URL resolves to 192\.168\.1\.20, a private address; Hourbridge does not send to internal addresses\.$/,
    );
    expect(await ruleRow(ok.id)).toMatchObject({ version: ok.version, webhookUrl: "https://hooks.example.com/pmo" });
  });

  it("never answers or logs the webhook's signing secret", async () => {
    const secret = `whsec-${randomBytes(16).toString("hex")}`;
    const caller = createCaller(ctxFor(t.db, finance));
    const created = await caller.alerts.createRule({ ownerTeam: "finance", name: "Paged", condition: "older_than_sla", webhookUrl: "https://hooks.example.com/pager", webhookSecret: secret });
    const [stored] = await t.db.select({ s: alertRules.webhookSecret }).from(alertRules).where(eq(alertRules.id, created.id));
    expect(stored!.s).toMatch(/^v1\./);
    expect(decryptSecret(stored!.s!, key)).toBe(secret);

    // replaced by a new one, then kept when not given
    const secret2 = `whsec-${randomBytes(16).toString("hex")}`;
    const updated = await caller.alerts.updateRule({ id: created.id, expectedVersion: 1, ownerTeam: "finance", name: "Paged", condition: "older_than_sla", webhookUrl: "https://hooks.example.com/pager", webhookSecret: secret2 });
    const kept = await caller.alerts.updateRule({ id: created.id, expectedVersion: updated.version, ownerTeam: "finance", name: "Paged, renamed", condition: "older_than_sla", webhookUrl: "https://hooks.example.com/pager" });
    const [after] = await t.db.select({ s: alertRules.webhookSecret }).from(alertRules).where(eq(alertRules.id, created.id));
    expect(decryptSecret(after!.s!, key)).toBe(secret2);

    const listed = await caller.alerts.rules();
    const answered = JSON.stringify([created, updated, kept, listed]);
    expect(answered).toContain('"webhookSecretSet":true');
    for (const s of [secret, secret2, stored!.s!, after!.s!]) expect(answered).not.toContain(s);

    const audit = await t.db.select().from(auditLog).where(and(eq(auditLog.entityType, "alert_rule"), eq(auditLog.entityId, created.id))).orderBy(auditLog.id);
    expect(audit.map((a) => a.action)).toEqual(["alert_rule.create", "alert_rule.update", "alert_rule.update"]);
    const logged = JSON.stringify(audit);
    for (const s of [secret, secret2, stored!.s!, after!.s!]) expect(logged).not.toContain(s);
    expect(audit[1]!.after).toMatchObject({ signingKeySet: true, signingKeyReplaced: true });

    // removing the webhook removes its secret
    const cleared = await caller.alerts.updateRule({ id: created.id, expectedVersion: kept.version, ownerTeam: "finance", name: "Paged, renamed", condition: "older_than_sla", webhookUrl: null });
    expect(cleared).toMatchObject({ webhookUrl: null, webhookSecretSet: false });
  });
});

describe("notifications", () => {
  it("each person sees their teams' notifications, newest first, and marks them read for themselves", async () => {
    const all = await listNotifications({ ctx: as(admin), reader: reader(admin), input: { limit: 200 } });
    const finSeen = await listNotifications({ ctx: as(finance), reader: reader(finance), input: { limit: 200 } });
    const pmoSeen = await listNotifications({ ctx: as(pmo), reader: reader(pmo), input: { limit: 200 } });
    expect(all.items.length).toBeGreaterThanOrEqual(5);
    expect(new Set(finSeen.items.map((n) => n.ownerTeam))).toEqual(new Set(["finance", "integration"]));
    expect(new Set(pmoSeen.items.map((n) => n.ownerTeam))).toEqual(new Set(["pmo", "hr"]));
    expect(finSeen.items.length + pmoSeen.items.length).toBe(all.items.length);
    const times = all.items.map((n) => n.createdAt.getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));

    // paging: every notification once
    const first = await listNotifications({ ctx: as(admin), reader: reader(admin), input: { limit: 2 } });
    const rest = await listNotifications({ ctx: as(admin), reader: reader(admin), input: { limit: 200, cursor: first.nextCursor } });
    expect([...first.items, ...rest.items].map((n) => n.id)).toEqual(all.items.map((n) => n.id));

    expect((await unreadCount({ ctx: as(finance), reader: reader(finance) })).count).toBe(finSeen.items.length);
    const one = finSeen.items[0]!;
    expect(await markRead({ ctx: as(finance), reader: reader(finance), input: { ids: [one.id] } })).toEqual({ marked: 1 });
    expect(await markRead({ ctx: as(finance), reader: reader(finance), input: { ids: [one.id] } })).toEqual({ marked: 0 });
    expect((await unreadCount({ ctx: as(finance), reader: reader(finance) })).count).toBe(finSeen.items.length - 1);
    // read for finance, not for the admin
    expect((await listNotifications({ ctx: as(admin), reader: reader(admin), input: { limit: 200 } })).items.find((n) => n.id === one.id)?.read).toBe(false);
    expect((await listNotifications({ ctx: as(finance), reader: reader(finance), input: { unreadOnly: true, limit: 200 } })).items.map((n) => n.id)).not.toContain(one.id);

    // another team's notification cannot be marked
    await expectDomain(markRead({ ctx: as(pmo), reader: reader(pmo), input: { ids: [one.id] } }), "not_found");

    const rest2 = await markAllRead({ ctx: as(finance), reader: reader(finance) });
    expect(rest2.marked).toBe(finSeen.items.length - 1);
    expect((await unreadCount({ ctx: as(finance), reader: reader(finance) })).count).toBe(0);
    expect((await unreadCount({ ctx: as(pmo), reader: reader(pmo) })).count).toBe(pmoSeen.items.length);

    const audited = await t.db.select({ action: auditLog.action, actor: auditLog.actorId }).from(auditLog).where(eq(auditLog.entityType, "notification"));
    expect(audited).toEqual([
      { action: "notification.read", actor: finance.id },
      { action: "notification.read_all", actor: finance.id },
    ]);
  });
});
