import { createServer, type Server } from "node:http";
import { randomBytes } from "node:crypto";
import { and, eq, gt } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { auditLog, connectors } from "@/server/db/schema";
import { decryptSecret, encryptSecret } from "@/server/crypto/secrets";
import { outboundFetch } from "@/server/net/outbound";
import { createHarvestConnector } from "@/sync/connectors/harvest/connector";
import { HarvestConnectorError } from "@/sync/connectors/harvest/errors";
import { createNetSuiteConnector } from "@/sync/connectors/netsuite/connector";
import { schedulesOf } from "@/sync/schedules";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { makeUser, serviceCtxFor, type TestUser } from "../../../../test/factories";
import { close, listen } from "../../../../test/http";
import { startHarvest, startNetSuite, type HarvestSimulator, type NetSuiteSimulator } from "../../../../test/simulators";
import type { ServiceCtx } from "../context";
import { pauseConnector, resumeConnector, testConnection, updateEndpoint, updateLimits, updateSchedule } from "./admin";
import { activeConnectors, erpConnectorFrom, sourceConnectorFrom } from "./build";

const OPTS = { seed: 7, consultants: 20, projects: 15, months: 2, endDate: "2026-03-18" };
const HARVEST_TOKEN = "harvest-token-9f3a1c";
const NETSUITE_TOKEN = "netsuite-token-51be07";
const KEY = randomBytes(32);

let t: TestDatabase;
let harvest: HarvestSimulator;
let netsuite: NetSuiteSimulator;
let admin: TestUser;
let ctx: ServiceCtx;
let closedUrl: string;
let sourceId: string;
let erpId: string;

/** a port nothing listens on: a server bound to it, then closed */
async function closedPort(): Promise<string> {
  const s = createServer();
  const base = await listen(s);
  await close(s);
  return base;
}

beforeAll(async () => {
  t = await createTestDatabase();
  [harvest, netsuite] = await Promise.all([startHarvest(OPTS, { token: HARVEST_TOKEN }), startNetSuite(OPTS, { token: NETSUITE_TOKEN })]);
  closedUrl = await closedPort();
  admin = await makeUser(t.db, { roles: ["admin"] });
}, 120_000);
afterAll(async () => {
  await Promise.all([harvest?.stop(), netsuite?.stop()]);
  await t?.drop();
});

beforeEach(async () => {
  ctx = serviceCtxFor(t.db, admin);
  const suffix = randomBytes(4).toString("hex");
  const [s] = await t.db
    .insert(connectors)
    .values({
      key: `harvest-${suffix}`,
      role: "source",
      system: "harvest",
      name: "Harvest",
      baseUrl: harvest.apiUrl,
      accountId: harvest.accountId,
      credentialsEncrypted: encryptSecret(JSON.stringify({ token: HARVEST_TOKEN }), KEY),
      settings: { concurrency: 4 },
      scheduleCron: "*/5 * * * *",
    })
    .returning();
  const [e] = await t.db
    .insert(connectors)
    .values({
      key: `netsuite-${suffix}`,
      role: "erp",
      system: "netsuite",
      name: "NetSuite",
      baseUrl: netsuite.apiUrl,
      accountId: netsuite.accountId,
      credentialsEncrypted: encryptSecret(JSON.stringify({ token: NETSUITE_TOKEN }), KEY),
      settings: { concurrency: 5 },
      scheduleCron: "* * * * *",
    })
    .returning();
  sourceId = s!.id;
  erpId = e!.id;
});

const row = async (id: string) => (await t.db.select().from(connectors).where(eq(connectors.id, id)))[0]!;
const audits = (id: string, action?: string) =>
  t.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.entityType, "connector"), eq(auditLog.entityId, id), ...(action ? [eq(auditLog.action, action)] : [])))
    .orderBy(auditLog.id);
const version = async (id: string) => (await row(id)).updatedAt.toISOString();

/** the verb's refusal: its message and details, checking nothing was saved or audited */
async function refusedUnchanged(id: string, attempt: () => Promise<unknown>): Promise<{ message: string; kind: string; details?: Record<string, unknown> }> {
  const before = await row(id);
  const auditsBefore = (await audits(id)).length;
  const err = (await attempt().then(
    () => {
      throw new Error("expected the verb to refuse");
    },
    (e: unknown) => e,
  )) as { message: string; kind: string; details?: Record<string, unknown> };
  expect(await row(id)).toEqual(before);
  expect((await audits(id)).length).toBe(auditsBefore);
  return err;
}

describe("pause and resume", () => {
  it("pauses with a reason, naming who; a paused connector is not active; resuming clears it; both audited", async () => {
    const paused = await pauseConnector({ ctx, input: { connectorId: erpId, reason: "  ERP maintenance tonight " } });
    expect(paused).toMatchObject({ paused: true, pausedBy: admin.email, pauseReason: "ERP maintenance tonight" });
    expect(paused.pausedAt).toBeInstanceOf(Date);
    expect((await activeConnectors(t.db, "erp")).map((c) => c.id)).not.toContain(erpId);

    const resumed = await resumeConnector({ ctx, input: { connectorId: erpId } });
    expect(resumed).toMatchObject({ paused: false, pausedAt: null, pausedBy: null, pauseReason: null });
    expect((await activeConnectors(t.db, "erp")).map((c) => c.id)).toContain(erpId);

    const log = await audits(erpId);
    expect(log.map((a) => a.action)).toEqual(["connector.pause", "connector.resume"]);
    expect(log[0]).toMatchObject({ actorId: admin.id, before: { paused: false }, after: { paused: true, reason: "ERP maintenance tonight" } });
    expect(log[1]).toMatchObject({ before: { paused: true, pausedBy: admin.email, reason: "ERP maintenance tonight" }, after: { paused: false } });
  });

  it("refuses pausing twice (naming who paused it and why) and a reason too short or too long; resuming a running connector changes nothing", async () => {
    await pauseConnector({ ctx, input: { connectorId: sourceId, reason: "source outage" } });
    const again = await refusedUnchanged(sourceId, () => pauseConnector({ ctx, input: { connectorId: sourceId, reason: "me too" } }));
    expect(again.kind).toBe("conflict");
    expect(again.message).toMatch(new RegExp(`Harvest is already paused by ${admin.email.replace(".", "\\.")} since .* UTC: source outage`));
    await resumeConnector({ ctx, input: { connectorId: sourceId } });

    const short = await refusedUnchanged(sourceId, () => pauseConnector({ ctx, input: { connectorId: sourceId, reason: " x " } }));
    expect(short).toMatchObject({ kind: "invalid", message: "reason: say why in at least 3 characters", details: { field: "reason" } });
    const long = await refusedUnchanged(sourceId, () => pauseConnector({ ctx, input: { connectorId: sourceId, reason: "x".repeat(501) } }));
    expect(long.message).toBe("reason: the reason can be at most 500 characters");

    const audited = (await audits(sourceId)).length;
    const same = await resumeConnector({ ctx, input: { connectorId: sourceId } });
    expect(same.paused).toBe(false);
    expect((await audits(sourceId)).length).toBe(audited);
    await expect(resumeConnector({ ctx, input: { connectorId: crypto.randomUUID() } })).rejects.toThrow("There is no such connector.");
  });
});

describe("schedules", () => {
  it("changes the main schedule and the per-job ones (\"\" = off, null = the default), audited", async () => {
    const saved = await updateSchedule({ ctx, input: { connectorId: erpId, expectedUpdatedAt: await version(erpId), scheduleCron: "*/2 * * * *", masterData: "15 */2 * * *", readBack: "" } });
    expect(saved.scheduleCron).toBe("*/2 * * * *");
    expect(saved.settings).toEqual({ concurrency: 5, schedules: { masterData: "15 */2 * * *", readBack: "" } });
    expect(schedulesOf(saved).map((s) => [s.name, s.cron])).toEqual([
      ["post", "*/2 * * * *"],
      ["masterData", "15 */2 * * *"],
      ["readBack", null],
    ]);
    const [a] = await audits(erpId, "connector.update_schedule");
    expect(a).toMatchObject({ before: { scheduleCron: "* * * * *", schedules: {} }, after: { scheduleCron: "*/2 * * * *", schedules: { masterData: "15 */2 * * *", readBack: "" } } });

    const back = await updateSchedule({ ctx, input: { connectorId: erpId, expectedUpdatedAt: saved.updatedAt.toISOString(), scheduleCron: null, masterData: null, readBack: null } });
    expect(back.scheduleCron).toBeNull();
    expect(back.settings).toEqual({ concurrency: 5 });
    expect(schedulesOf(back).map((s) => s.cron)).toEqual([null, "0 * * * *", "30 * * * *"]);
  });

  it("refuses an invalid cron expression with the field and the reason, and saves nothing", async () => {
    const v = await version(sourceId);
    const minute = await refusedUnchanged(sourceId, () => updateSchedule({ ctx, input: { connectorId: sourceId, expectedUpdatedAt: v, scheduleCron: "61 * * * *", fullWalk: "0 4 * * *" } }));
    expect(minute).toMatchObject({ kind: "invalid", message: 'scheduleCron: "61 * * * *" is not a valid schedule: the minute field "61" is outside 0–59', details: { field: "scheduleCron" } });
    const fields = await refusedUnchanged(sourceId, () => updateSchedule({ ctx, input: { connectorId: sourceId, expectedUpdatedAt: v, fullWalk: "every night" } }));
    expect(fields.message).toBe('fullWalk: "every night" is not a valid schedule: a schedule has 5 fields (minute hour day-of-month month day-of-week), "every night" has 2');
    // a job the connector does not have
    const wrong = await refusedUnchanged(sourceId, () => updateSchedule({ ctx, input: { connectorId: sourceId, expectedUpdatedAt: v, readBack: "0 * * * *" } }));
    expect(wrong.message).toBe("readBack: Harvest is a source connector, which has no such job; its own schedules are fullWalk.");
  });
});

describe("limits", () => {
  it("changes concurrency and the posting settings; null puts a default back; audited", async () => {
    const saved = await updateLimits({ ctx, input: { connectorId: erpId, expectedUpdatedAt: await version(erpId), concurrency: 3, posting: { maxAttempts: 12, batchSize: 50 } } });
    expect(saved.settings).toEqual({ concurrency: 3, posting: { maxAttempts: 12, batchSize: 50 } });
    const again = await updateLimits({ ctx, input: { connectorId: erpId, expectedUpdatedAt: saved.updatedAt.toISOString(), posting: { batchSize: null, leaseSeconds: 300 } } });
    expect(again.settings).toEqual({ concurrency: 3, posting: { maxAttempts: 12, leaseSeconds: 300 } });
    const log = await audits(erpId, "connector.update_limits");
    expect(log[0]).toMatchObject({ before: { concurrency: 5, posting: {} }, after: { concurrency: 3, posting: { maxAttempts: 12, batchSize: 50 } } });
    expect(log).toHaveLength(2);
  });

  it("refuses a limit out of range naming the field and the range, and saves nothing", async () => {
    const v = await version(erpId);
    const conc = await refusedUnchanged(erpId, () => updateLimits({ ctx, input: { connectorId: erpId, expectedUpdatedAt: v, concurrency: 64 } }));
    expect(conc).toMatchObject({ kind: "invalid", message: "concurrency: must be a whole number from 1 to 32, not 64", details: { field: "concurrency" } });
    const attempts = await refusedUnchanged(erpId, () => updateLimits({ ctx, input: { connectorId: erpId, expectedUpdatedAt: v, concurrency: 4, posting: { maxAttempts: 0 } } }));
    expect(attempts.message).toBe("posting.maxAttempts: must be a whole number from 1 to 100, not 0");
    const fraction = await refusedUnchanged(erpId, () => updateLimits({ ctx, input: { connectorId: erpId, expectedUpdatedAt: v, posting: { leaseSeconds: 1.5 } } }));
    expect(fraction.message).toBe("posting.leaseSeconds: must be a whole number from 1 to 3600, not 1.5");
    const backoff = await refusedUnchanged(erpId, () => updateLimits({ ctx, input: { connectorId: erpId, expectedUpdatedAt: v, posting: { baseDelayMs: 60_000, maxDelayMs: 1_000 } } }));
    expect(backoff.message).toMatch(/^posting\.maxDelayMs: the longest wait \(1000 ms\) cannot be shorter than the first/);
    const source = await refusedUnchanged(sourceId, async () => updateLimits({ ctx, input: { connectorId: sourceId, expectedUpdatedAt: await version(sourceId), posting: { maxAttempts: 3 } } }));
    expect(source.message).toBe("posting: Harvest is a source connector; posting limits apply to the ERP connector.");
  });
});

describe("the optimistic check", () => {
  it("refuses an edit made on a stale version, naming what changed, by whom and when, and saves nothing", async () => {
    const seen = await version(erpId);
    const other = await makeUser(t.db, { roles: ["admin"] });
    await updateLimits({ ctx: serviceCtxFor(t.db, other), input: { connectorId: erpId, expectedUpdatedAt: seen, concurrency: 2 } });

    const stale = await refusedUnchanged(erpId, () => updateSchedule({ ctx, input: { connectorId: erpId, expectedUpdatedAt: seen, scheduleCron: "*/10 * * * *" } }));
    expect(stale.kind).toBe("conflict");
    expect(stale.message).toMatch(new RegExp(`^NetSuite was changed since you opened it \\(limits changed by ${other.email.replace(".", "\\.")} at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\\)\\. Reload to see the change, then edit again\\.$`));
    expect(stale.details).toMatchObject({ updatedAt: await version(erpId), changes: [{ action: "connector.update_limits", by: other.email }] });
    await refusedUnchanged(erpId, () => updateLimits({ ctx, input: { connectorId: erpId, expectedUpdatedAt: seen, concurrency: 9 } }));
    await refusedUnchanged(erpId, () => updateEndpoint({ ctx, secretsKey: KEY, input: { connectorId: erpId, expectedUpdatedAt: seen, baseUrl: netsuite.apiUrl, accountId: netsuite.accountId } }));

    // with the current version, the same edit goes through
    const ok = await updateSchedule({ ctx, input: { connectorId: erpId, expectedUpdatedAt: await version(erpId), scheduleCron: "*/10 * * * *" } });
    expect(ok.scheduleCron).toBe("*/10 * * * *");
  });

  it("lets one of two edits made at once on the same version through, and refuses the other", async () => {
    const seen = await version(sourceId);
    const results = await Promise.allSettled([
      updateSchedule({ ctx, input: { connectorId: sourceId, expectedUpdatedAt: seen, scheduleCron: "*/7 * * * *" } }),
      updateLimits({ ctx: serviceCtxFor(t.db, admin), input: { connectorId: sourceId, expectedUpdatedAt: seen, concurrency: 2 } }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const refused = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ kind: "conflict" });
  });
});

describe("endpoint and credentials", () => {
  it("saves a new token only after testing it, stores it encrypted, and never answers or audits it", async () => {
    const result = await updateEndpoint({ ctx, secretsKey: KEY, input: { connectorId: sourceId, expectedUpdatedAt: await version(sourceId), baseUrl: `${harvest.apiUrl}/`, accountId: harvest.accountId, token: HARVEST_TOKEN } });
    expect(result.test).toMatchObject({ ok: true, message: `Harvest at ${harvest.apiUrl} answered for account ${harvest.accountId}.` });
    expect(result.connector).toMatchObject({ baseUrl: harvest.apiUrl, hasCredentials: true, lastTestOk: true });
    expect(JSON.stringify(result)).not.toContain(HARVEST_TOKEN);
    expect(result.connector).not.toHaveProperty("credentialsEncrypted");

    const saved = await row(sourceId);
    expect(saved.credentialsEncrypted).toMatch(/^v1\./);
    expect(saved.credentialsEncrypted).not.toContain(HARVEST_TOKEN);
    expect(JSON.parse(decryptSecret(saved.credentialsEncrypted!, KEY))).toEqual({ token: HARVEST_TOKEN });

    const [a] = await audits(sourceId, "connector.update_endpoint");
    expect(a!.after).toMatchObject({ baseUrl: harvest.apiUrl, changed: ["credentials"] });
    expect(JSON.stringify([a!.before, a!.after])).not.toContain(HARVEST_TOKEN);
  });

  it("refuses an unreachable base URL with the reason, and saves nothing", async () => {
    const v = await version(erpId);
    const down = await refusedUnchanged(erpId, () =>
      updateEndpoint({ ctx, secretsKey: KEY, input: { connectorId: erpId, expectedUpdatedAt: v, baseUrl: `${closedUrl}/services/rest`, accountId: netsuite.accountId, token: NETSUITE_TOKEN } }),
    );
    expect(down).toMatchObject({ kind: "invalid", message: `NetSuite at ${closedUrl}/services/rest did not answer within 5 s: connection refused` });
    expect(down.details).toMatchObject({ test: { ok: false } });
  });

  it("refuses a wrong token, for either vendor, with the vendor's reason, and saves nothing", async () => {
    const ns = await refusedUnchanged(erpId, async () =>
      updateEndpoint({ ctx, secretsKey: KEY, input: { connectorId: erpId, expectedUpdatedAt: await version(erpId), baseUrl: netsuite.apiUrl, accountId: netsuite.accountId, token: "not-the-token" } }),
    );
    expect(ns.message).toMatch(new RegExp(`^NetSuite at ${netsuite.apiUrl} refused the access token \\(401 INVALID_LOGIN\\): Invalid login attempt`));
    const hv = await refusedUnchanged(sourceId, async () =>
      updateEndpoint({ ctx, secretsKey: KEY, input: { connectorId: sourceId, expectedUpdatedAt: await version(sourceId), baseUrl: harvest.apiUrl, accountId: harvest.accountId, token: "not-the-token" } }),
    );
    expect(hv.message).toMatch(new RegExp(`^Harvest at ${harvest.apiUrl} refused the access token \\(401\\): The access token provided is expired`));
    const account = await refusedUnchanged(sourceId, async () =>
      updateEndpoint({ ctx, secretsKey: KEY, input: { connectorId: sourceId, expectedUpdatedAt: await version(sourceId), baseUrl: harvest.apiUrl, accountId: "999" } }),
    );
    expect(account.message).toBe(`Harvest at ${harvest.apiUrl} refused access to account 999 (403): The token has no access to account 999`);
  });

  it("refuses a malformed URL or account before asking anyone, and sends the saved token to no other host", async () => {
    const v = await version(erpId);
    const notUrl = await refusedUnchanged(erpId, () => updateEndpoint({ ctx, secretsKey: KEY, input: { connectorId: erpId, expectedUpdatedAt: v, baseUrl: "netsuite.example.com", accountId: "X" } }));
    expect(notUrl).toMatchObject({ message: "baseUrl: must be an absolute http or https URL, e.g. https://api.harvestapp.com/v2", details: { field: "baseUrl" } });
    const ftp = await refusedUnchanged(erpId, () => updateEndpoint({ ctx, secretsKey: KEY, input: { connectorId: erpId, expectedUpdatedAt: v, baseUrl: "ftp://example.com/services/rest", accountId: "X", token: "t" } }));
    expect(ftp.details).toMatchObject({ field: "baseUrl" });
    const userinfo = await refusedUnchanged(erpId, () => updateEndpoint({ ctx, secretsKey: KEY, input: { connectorId: erpId, expectedUpdatedAt: v, baseUrl: "https://u:p@example.com/services/rest", accountId: "X", token: "t" } }));
    expect(userinfo.message).toMatch(/^baseUrl: must not carry a user name or password/);
    const path = await refusedUnchanged(erpId, () => updateEndpoint({ ctx, secretsKey: KEY, input: { connectorId: erpId, expectedUpdatedAt: v, baseUrl: `${netsuite.base}/rest`, accountId: netsuite.accountId } }));
    expect(path.message).toMatch(/baseUrl must end with \/services\/rest/);
    const harvestAccount = await refusedUnchanged(sourceId, async () =>
      updateEndpoint({ ctx, secretsKey: KEY, input: { connectorId: sourceId, expectedUpdatedAt: await version(sourceId), baseUrl: harvest.apiUrl, accountId: "acme" } }),
    );
    expect(harvestAccount).toMatchObject({ message: expect.stringMatching(/accountId must be Harvest's numeric account id/), details: { field: "accountId" } });
    const elsewhere = await refusedUnchanged(erpId, () => updateEndpoint({ ctx, secretsKey: KEY, input: { connectorId: erpId, expectedUpdatedAt: v, baseUrl: "https://evil.example.com/services/rest", accountId: "X" } }));
    expect(elsewhere).toMatchObject({ details: { field: "token" } });
    expect(elsewhere.message).toMatch(/^token: enter the access token again to point NetSuite at https:\/\/evil\.example\.com/);
  });

  it("with nothing changed (a trailing slash aside), tests and records the test, and leaves the configuration's version alone", async () => {
    const v = await version(erpId);
    const same = await updateEndpoint({ ctx, secretsKey: KEY, input: { connectorId: erpId, expectedUpdatedAt: v, baseUrl: `${netsuite.apiUrl}//`, accountId: netsuite.accountId } });
    expect(same.test.ok).toBe(true);
    expect(same.connector).toMatchObject({ baseUrl: netsuite.apiUrl, lastTestOk: true, lastTestMessage: same.test.message });
    expect(await version(erpId)).toBe(v);
    const [a] = await audits(erpId, "connector.test");
    expect(a!.after).toMatchObject({ ok: true });
    expect(await audits(erpId, "connector.update_endpoint")).toHaveLength(0);
  });

  it("takes a server that never answers for unreachable after 5 s, without retrying", async () => {
    let requests = 0;
    const silent: Server = createServer(() => {
      requests += 1; // never answers
    });
    const base = await listen(silent);
    try {
      const started = Date.now();
      const refused = await refusedUnchanged(erpId, async () =>
        updateEndpoint({ ctx, secretsKey: KEY, input: { connectorId: erpId, expectedUpdatedAt: await version(erpId), baseUrl: `${base}/services/rest`, accountId: "X", token: NETSUITE_TOKEN } }),
      );
      expect(refused.message).toBe(`NetSuite at ${base}/services/rest did not answer within 5 s.`);
      expect(Date.now() - started).toBeLessThan(8_000);
      expect(requests).toBe(1);
    } finally {
      await close(silent);
    }
  }, 15_000);
});

describe("internal addresses", () => {
  const refusedAs = (address: string, words: string) => `The base URL resolves to ${address}, ${words}; Hourbridge does not send to internal addresses.`;

  it("refuses a base URL at an internal address before asking it, naming the field and the address's class, and saves nothing", async () => {
    const v = await version(erpId);
    const priv = await refusedUnchanged(erpId, () =>
      updateEndpoint({ ctx, secretsKey: KEY, input: { connectorId: erpId, expectedUpdatedAt: v, baseUrl: "http://10.0.0.1/services/rest", accountId: netsuite.accountId, token: NETSUITE_TOKEN } }),
    );
    expect(priv).toMatchObject({
      kind: "invalid",
      message: `baseUrl: ${refusedAs("10.0.0.1", "a private address")}`,
      details: { field: "baseUrl", fieldErrors: { baseUrl: [refusedAs("10.0.0.1", "a private address")] } },
    });
    const metadata = await refusedUnchanged(sourceId, async () =>
      updateEndpoint({ ctx, secretsKey: KEY, input: { connectorId: sourceId, expectedUpdatedAt: await version(sourceId), baseUrl: "http://169.254.169.254/v2", accountId: harvest.accountId, token: HARVEST_TOKEN } }),
    );
    expect(metadata.message).toBe(`baseUrl: ${refusedAs("169.254.169.254", "a link-local address")}`);
    // loopback other than the simulators' address, written as an IPv4-mapped IPv6 address
    const mapped = await refusedUnchanged(sourceId, async () =>
      updateEndpoint({ ctx, secretsKey: KEY, input: { connectorId: sourceId, expectedUpdatedAt: await version(sourceId), baseUrl: `http://[::ffff:127.0.0.2]:4101/v2`, accountId: harvest.accountId, token: HARVEST_TOKEN } }),
    );
    expect(mapped.message).toBe(`baseUrl: ${refusedAs("::ffff:7f00:2 (127.0.0.2)", "a loopback address")}`);
  });

  it("a saved base URL at an internal address is not called by the connection test, which fails saying why", async () => {
    await t.db.update(connectors).set({ baseUrl: "http://127.0.0.2:4101/v2" }).where(eq(connectors.id, sourceId));
    const test = await testConnection({ ctx, secretsKey: KEY, input: { connectorId: sourceId } });
    expect(test).toMatchObject({ ok: false, message: `Harvest cannot be tested: ${refusedAs("127.0.0.2", "a loopback address")}` });
    expect(await row(sourceId)).toMatchObject({ lastTestOk: false, lastTestMessage: test.message });
  });

  it("the connectors' clients check the address when they send, whatever was saved", async () => {
    // built as the worker builds them, with the process's allow-list (127.0.0.2 is not on it)
    const source = sourceConnectorFrom({ system: "harvest", baseUrl: "http://127.0.0.2:4101/v2", accountId: harvest.accountId, token: HARVEST_TOKEN });
    const sourceTest = await source.testConnection!();
    expect(sourceTest.ok).toBe(false);
    expect(sourceTest.message).toContain("Harvest's base URL resolves to 127.0.0.2, a loopback address; Hourbridge does not send to internal addresses.");
    const pull = await (async () => {
      for await (const page of source.timeEntries({})) return page;
    })().catch((e: unknown) => e);
    expect(pull).toBeInstanceOf(HarvestConnectorError);
    expect(pull).toMatchObject({ retryable: false, attempts: 1 });
    expect((pull as Error).message).toMatch(/^Harvest GET \/time_entries was not sent: Harvest's base URL resolves to 127\.0\.0\.2, a loopback address/);

    const erp = erpConnectorFrom({ system: "netsuite", baseUrl: "http://127.0.0.2:4102/services/rest", accountId: netsuite.accountId, token: NETSUITE_TOKEN });
    const erpTest = await erp.testConnection!();
    expect(erpTest.ok).toBe(false);
    expect(erpTest.message).toContain("NetSuite's base URL resolves to 127.0.0.2, a loopback address; Hourbridge does not send to internal addresses.");

    // with no internal address allowed, the running simulators themselves are refused: no request reaches them
    const strict = (what: string) => outboundFetch({ what, policy: { allow: [] } });
    let connections = 0;
    const count = () => {
      connections += 1;
    };
    harvest.server.on("connection", count);
    netsuite.server.on("connection", count);
    try {
      const h = createHarvestConnector({ baseUrl: harvest.apiUrl, accountId: harvest.accountId, token: HARVEST_TOKEN }, { fetch: strict("Harvest's base URL") });
      expect((await h.testConnection()).message).toContain(`Harvest's base URL resolves to 127.0.0.1, a loopback address`);
      const n = createNetSuiteConnector({ baseUrl: netsuite.apiUrl, accountId: netsuite.accountId, token: NETSUITE_TOKEN }, { fetch: strict("NetSuite's base URL") });
      expect((await n.testConnection()).message).toContain(`NetSuite's base URL resolves to 127.0.0.1, a loopback address`);
    } finally {
      harvest.server.off("connection", count);
      netsuite.server.off("connection", count);
    }
    expect(connections).toBe(0);
  });
});

describe("testing the saved connection", () => {
  it("records when, whether and what it found, without changing the configuration's version", async () => {
    const v = await version(sourceId);
    const ok = await testConnection({ ctx, secretsKey: KEY, input: { connectorId: sourceId } });
    expect(ok).toMatchObject({ ok: true, message: `Harvest at ${harvest.apiUrl} answered for account ${harvest.accountId}.` });
    expect(ok.latencyMs).toBeGreaterThanOrEqual(0);
    let saved = await row(sourceId);
    expect(saved).toMatchObject({ lastTestOk: true, lastTestMessage: ok.message, lastTestedAt: ok.testedAt });
    expect(saved.updatedAt.toISOString()).toBe(v);

    // the system goes away: the same test records the failure
    await t.db.update(connectors).set({ baseUrl: `${closedUrl}/v2` }).where(eq(connectors.id, sourceId));
    const down = await testConnection({ ctx, secretsKey: KEY, input: { connectorId: sourceId } });
    expect(down).toMatchObject({ ok: false, message: `Harvest at ${closedUrl}/v2 did not answer within 5 s: connection refused` });
    saved = await row(sourceId);
    expect(saved).toMatchObject({ lastTestOk: false, lastTestMessage: down.message });
    expect(saved.lastTestedAt!.getTime()).toBeGreaterThanOrEqual(ok.testedAt.getTime());

    const tests = await audits(sourceId, "connector.test");
    expect(tests.map((a) => (a.after as { ok: boolean }).ok)).toEqual([true, false]);
    expect(tests[0]).toMatchObject({ actorId: admin.id });
  });

  it("tests the ERP with a SuiteQL read, and says so when the saved credentials cannot be read", async () => {
    const ok = await testConnection({ ctx, secretsKey: KEY, input: { connectorId: erpId } });
    expect(ok).toMatchObject({ ok: true, message: `NetSuite at ${netsuite.apiUrl} answered for account ${netsuite.accountId}.` });
    const wrongKey = await testConnection({ ctx, secretsKey: randomBytes(32), input: { connectorId: erpId } });
    expect(wrongKey).toMatchObject({ ok: false, message: "NetSuite cannot be tested: this secret cannot be decrypted with the configured CONNECTOR_SECRETS_KEY" });
    expect(await row(erpId)).toMatchObject({ lastTestOk: false, lastTestMessage: wrongKey.message });
    // tests are not edits: they do not count as a change an editor missed
    const since = await t.db.select().from(auditLog).where(and(eq(auditLog.entityId, erpId), gt(auditLog.id, 0)));
    expect(since.every((a) => a.action === "connector.test")).toBe(true);
  });
});
