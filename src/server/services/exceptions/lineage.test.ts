/**
 * The drawer's lineage of an entry starts with its life cycle: every transition the services
 * recorded (received, approved, posted, corrected, reversed, refused…), oldest first, in words,
 * with the states, the version, the sentence and who or what acted.
 */
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exceptions, timeEntries } from "@/server/db/schema";
import { withTx } from "@/server/db/client";
import { idempotencyKey } from "@/server/domain/idempotency";
import type { ErpConnector, PostingRequest } from "@/sync/connectors/types";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { makeUser, systemCtx, type TestUser } from "../../../../test/factories";
import { buildWorld, type World } from "../../../../test/world";
import { ingestTimeEntries } from "../entries/ingest";
import { recordEntryEvents } from "../entries/events";
import { DEFAULT_POSTING_POLICY, sendDuePostings, type PostingPolicy } from "../posting/send-due";
import { validateEntries } from "../validation/validate-entries";
import { exceptionDetail, lifeCycleActor, LIFE_CYCLE_LIMIT } from "./detail";
import type { Viewer } from "./list";

const FAST: PostingPolicy = { ...DEFAULT_POSTING_POLICY, maxAttempts: 5, baseDelayMs: 0, maxDelayMs: 0, batchSize: 50, leaseMs: 0, concurrency: 1 };

let t: TestDatabase;
let w: World;
let admin: TestUser;
const viewer = (u: TestUser): Viewer => ({ userId: u.id, roles: u.roles, scope: u.scope });

/** An ERP that accepts everything except the creates whose keys it is told to refuse (a closed period). */
const refuse = new Set<string>();
let booked = 0;
const erp: ErpConnector = {
  system: "netsuite",
  async post(request: PostingRequest) {
    if (request.kind === "create" && refuse.has(request.idempotencyKey)) {
      return { kind: "rejected", code: "PERIOD_CLOSED", message: "The accounting period of the work date is closed", response: { status: 400 } };
    }
    booked += 1;
    return { kind: "accepted", erpId: `TB-${booked}`, response: { status: 204 } };
  },
  async findByIdempotencyKey() {
    return null;
  },
  async *timeRecords() {},
  async *invoices() {},
  async *masterData() {},
};

beforeAll(async () => {
  t = await createTestDatabase();
  w = await buildWorld(t.db);
  admin = await makeUser(t.db, { roles: ["admin"] });
});
afterAll(async () => t?.drop());

/** The source's entry as the time pull job reads it. */
function fromSource(sourceId: string, over: { hours?: string; status?: "submitted" | "approved" } = {}) {
  const entry = {
    sourceId,
    sourceUserId: w.ext.ana,
    sourceProjectId: w.ext.acme,
    sourceTaskId: w.ext.senior,
    workDate: "2026-05-12",
    hours: over.hours ?? "3.50",
    billable: true,
    notes: "Workshop",
    status: over.status ?? "approved",
    approvedAt: "2026-05-18T09:00:00Z",
    approvedBy: "Maria Manager",
    deleted: false,
  };
  return ingestTimeEntries({
    ctx: systemCtx(t.db, "worker:pull-time"),
    input: { sourceSystem: "harvest", items: [{ payload: { id: Number(sourceId), hours: Number(entry.hours), is_closed: entry.status === "approved" }, entry }] },
  });
}
const validate = (entryIds: string[]) => validateEntries({ ctx: systemCtx(t.db, "worker:validate"), input: { entryIds } });
async function drain() {
  for (let round = 0; round < 10; round++) {
    const s = await sendDuePostings({ ctx: { ...systemCtx(t.db, "worker:send-postings"), db: t.db }, connector: erp, policy: FAST });
    if (s.claimed === 0 && s.superseded === 0) return;
  }
}

describe("an entry's life cycle in the drawer's lineage", () => {
  const sourceId = "770001";
  let entryId: string;
  let exceptionId: string;

  it("lists every transition oldest first, in words, with states, version, sentence and actor", async () => {
    // submitted, then approved in the source; validated and posted; changed after posting
    await fromSource(sourceId, { status: "submitted" });
    const approved = await fromSource(sourceId);
    expect(approved.toValidate).toHaveLength(1);
    entryId = approved.toValidate[0]!;
    await validate([entryId]);
    await drain();
    expect((await t.db.select({ state: timeEntries.state }).from(timeEntries).where(eq(timeEntries.id, entryId)))[0]!.state).toBe("posted");

    // the correction: version 1 is reversed, and the ERP refuses version 2 (its period closed meanwhile)
    refuse.add(idempotencyKey({ sourceSystem: "harvest", sourceId, version: 2, kind: "create" }));
    const corrected = await fromSource(sourceId, { hours: "5.00" });
    expect(corrected.corrected).toBe(1);
    await validate([entryId]);
    await drain();

    const [x] = await t.db
      .select({ id: exceptions.id })
      .from(exceptions)
      .where(and(eq(exceptions.code, "ERP_REJECTED"), eq(exceptions.subjectKey, `entry:harvest:${sourceId}`)));
    expect(x, "the refusal is an exception about the entry").toBeTruthy();
    exceptionId = x!.id;

    const d = await exceptionDetail({ ctx: systemCtx(t.db), viewer: viewer(admin), input: { id: exceptionId } });
    expect(d.lineage?.entry.id).toBe(entryId);
    const life = d.lineage!.lifeCycle;
    expect(life.total).toBe(6);
    expect(life.events.map((e) => [e.kind, e.words, e.fromState, e.toState, e.version])).toEqual([
      ["received", "Received", null, "submitted", 1],
      ["approved", "Approved", "submitted", "approved", 1],
      ["posted", "Posted to the ERP", "approved", "posted", 1],
      ["corrected", "Corrected after posting", "posted", "approved", 2],
      ["reversed", "Reversed in the ERP", null, null, 1],
      ["refused", "Refused by the ERP", null, null, 2],
    ]);
    // the sentences the services wrote, and who acted: the jobs by name
    expect(life.events.map((e) => e.message)).toEqual([
      "Received from Harvest as submitted.",
      "Approved in Harvest by Maria Manager.",
      "Accepted by the ERP as time record TB-1.",
      expect.stringMatching(/^Changed in Harvest \(3\.50 h on 2026-05-12 → 5\.00 h on 2026-05-12\): version 2/),
      "Version 1 taken back out of the ERP (time record TB-1).",
      "The ERP refused version 2: The accounting period of the work date is closed (PERIOD_CLOSED).",
    ]);
    expect(life.events.map((e) => e.by)).toEqual([
      { kind: "job", name: "Time pull job" },
      { kind: "job", name: "Time pull job" },
      { kind: "job", name: "Posting job" },
      { kind: "job", name: "Time pull job" },
      { kind: "job", name: "Posting job" },
      { kind: "job", name: "Posting job" },
    ]);
    // in time order
    const times = life.events.map((e) => e.at.getTime());
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it("carries the latest transitions when there are very many, and says how many there are", async () => {
    await withTx(t.db, (tx) =>
      recordEntryEvents(
        tx,
        "finance@hourbridge.test",
        null,
        Array.from({ length: LIFE_CYCLE_LIMIT }, (_, i) => ({ timeEntryId: entryId, kind: "changed", fromState: "approved", toState: "approved", version: 2, message: `Note ${i + 1}.` })),
      ),
    );
    const d = await exceptionDetail({ ctx: systemCtx(t.db), viewer: viewer(admin), input: { id: exceptionId, entryId } });
    const life = d.lineage!.lifeCycle;
    expect(life.total).toBe(LIFE_CYCLE_LIMIT + 6);
    expect(life.events).toHaveLength(LIFE_CYCLE_LIMIT);
    // the six earlier ones are counted, not sent
    expect(life.events[0]!.message).toBe("Note 1.");
    expect(life.events.map((e) => e.kind)).not.toContain("received");
    expect(life.events.at(-1)).toMatchObject({ message: `Note ${LIFE_CYCLE_LIMIT}.`, words: "Changed", by: { kind: "person", name: "finance@hourbridge.test" } });
  });

  it("names the actor: a person by e-mail, a job by its name, another system actor by its label", () => {
    expect(lifeCycleActor("fiona@hourbridge.test")).toEqual({ kind: "person", name: "fiona@hourbridge.test" });
    expect(lifeCycleActor("system:worker:read-back")).toEqual({ kind: "job", name: "Read-back job" });
    expect(lifeCycleActor("system:worker:nightly-audit")).toEqual({ kind: "job", name: "nightly-audit job" });
    expect(lifeCycleActor("system:seed")).toEqual({ kind: "system", name: "seed" });
  });
});
