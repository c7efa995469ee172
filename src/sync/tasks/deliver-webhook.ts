import type { Task } from "graphile-worker";
import { deliverWebhook } from "@/server/services/alerts/deliver";
import { jobCtx, parsePayload, type TaskDeps } from "./context";

/**
 * Sends an alert's signed webhook. A failure worth retrying throws, so graphile-worker tries
 * again with its exponential backoff; the last attempt marks the delivery failed. The address
 * is checked as the connection is made (src/server/net/outbound.ts, with this process's
 * OUTBOUND_ALLOW_HOSTS): one that resolves to an internal address is never connected to, and
 * its delivery is marked failed at once, without a retry.
 */
export const deliverWebhookTask = (deps: TaskDeps): Task => async (raw, helpers) => {
  const { deliveryId } = parsePayload("deliver-webhook", raw);
  await deliverWebhook({
    ctx: jobCtx(deps, helpers),
    deliveryId,
    attempt: helpers.job.attempts,
    maxAttempts: helpers.job.max_attempts,
    secretsKey: deps.secretsKey,
  });
};
