import { eq } from "drizzle-orm";
import { z } from "zod";
import { withTx } from "../../db/client";
import { connectors } from "../../db/schema";
import { writeAudit } from "../audit/write";
import type { ServiceCtx } from "../context";
import { conflict, invalid, notFound } from "../errors";
import { enqueueJob, type JobName } from "../jobs/enqueue";

/** The runs a person can start by hand, and the role of connector each runs on. */
export const RUN_KINDS = {
  pull: { job: "pull-time", role: "source", label: "pull time" },
  full_walk: { job: "full-walk", role: "source", label: "full walk (finds deletions)" },
  post: { job: "send-postings", role: "erp", label: "post the outbox" },
  master_data: { job: "pull-master-data", role: "erp", label: "pull master data" },
  read_back: { job: "read-back", role: "erp", label: "read back postings and invoices" },
} as const satisfies Record<string, { job: JobName; role: "source" | "erp"; label: string }>;
export type RunKind = keyof typeof RUN_KINDS;

export const runNowInput = z.object({
  connectorId: z.uuid({ error: "connectorId must be a connector's id (a UUID)" }),
  kind: z.enum(Object.keys(RUN_KINDS) as [RunKind, ...RunKind[]], { error: `kind must be one of: ${Object.keys(RUN_KINDS).join(", ")}` }),
});
export type RunNowInput = z.infer<typeof runNowInput>;

/**
 * Queues a run now (trigger `manual`) for the worker. A paused connector runs nothing; a run
 * already queued for the same connector and kind is the same job (a double click queues one).
 * Audited in the same transaction as the queueing.
 */
export async function runNow({ ctx, input }: { ctx: ServiceCtx; input: RunNowInput }): Promise<{ jobId: string; kind: RunKind; connector: string }> {
  const { connectorId, kind } = runNowInput.parse(input);
  const spec = RUN_KINDS[kind];
  return withTx(ctx.db, async (tx) => {
    const [c] = await tx.select().from(connectors).where(eq(connectors.id, connectorId));
    if (!c) throw notFound("There is no such connector.");
    if (c.role !== spec.role) throw invalid(`"${spec.label}" runs on ${spec.role === "erp" ? "an ERP" : "a source"} connector; ${c.name} is ${c.role === "erp" ? "an ERP" : "a source"}.`);
    if (c.paused) throw conflict(`${c.name} is paused; resume it before running it.`);
    const jobId = await enqueueJob(tx, spec.job, { connectorId, trigger: "manual" }, { jobKey: `${spec.job}:${connectorId}` });
    await writeAudit({ ...ctx, db: tx }, { action: "sync.run_now", entityType: "connectors", entityId: connectorId, after: { kind, job: spec.job, jobId } });
    return { jobId, kind, connector: c.name };
  });
}
