import type { Task } from "graphile-worker";
import { z } from "zod";
import { deliverWebhook } from "@/server/services/alerts/deliver";
import { jobCtx, type TaskDeps } from "./context";

const payload = z.object({ deliveryId: z.uuid() });

/**
 * Sends an alert's signed webhook. A failure worth retrying throws, so graphile-worker tries
 * again with its exponential backoff; the last attempt marks the delivery failed.
 */
export const deliverWebhookTask = (deps: TaskDeps): Task => async (raw, helpers) => {
  const { deliveryId } = payload.parse(raw);
  await deliverWebhook({
    ctx: jobCtx(deps, helpers),
    deliveryId,
    attempt: helpers.job.attempts,
    maxAttempts: helpers.job.max_attempts,
    secretsKey: deps.secretsKey,
  });
};
