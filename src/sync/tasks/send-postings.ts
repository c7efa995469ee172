import type { Task } from "graphile-worker";
import { activeConnectors, erpConnectorFor } from "@/server/services/connectors/build";
import { postOutbox } from "@/server/services/posting/post-outbox";
import { postingPolicyFrom } from "@/server/services/connectors/settings";
import { jobCtx, parsePayload, type TaskDeps } from "./context";

/**
 * One sender per worker process: a second send-postings job arriving while one drains (a job
 * key only dedupes jobs still waiting) finds it busy and leaves the outbox to it, so one
 * worker never has more than the connector's concurrency in flight to the ERP. Across workers
 * the outbox is shared safely (SKIP LOCKED claims with a lease).
 */
let draining = false;

/** Drains what is due to the ERP (bounded rounds, behind the circuit breaker), recorded as a posting run. */
export const sendPostings = (deps: TaskDeps): Task => async (raw, helpers) => {
  const payload = parsePayload("send-postings", raw) ?? { trigger: "schedule" as const };
  if (draining) return;
  draining = true;
  try {
    await drain(deps, helpers, payload.trigger);
  } finally {
    draining = false;
  }
};

async function drain(deps: TaskDeps, helpers: Parameters<Task>[1], trigger: "schedule" | "manual" | "replay" | "webhook") {
  const [erp] = await activeConnectors(deps.db, "erp");
  if (!erp) return; // no ERP connector, or it is paused: nothing leaves
  const ctx = jobCtx(deps, helpers);
  const { policy, problem } = postingPolicyFrom(erp.settings);
  if (problem) ctx.log!.warn(`connector ${erp.key}: posting settings ignored (${problem}); the defaults apply`, { connector: erp.key });
  const r = await postOutbox({ ctx, connector: erpConnectorFor(erp, deps.secretsKey), connectorId: erp.id, trigger, policy });
  if (r.runId) ctx.log!.info(`posting run: ${r.accepted} accepted, ${r.rejected} rejected, ${r.retrying} to retry, ${r.dead} dead`, { ...r });
}
