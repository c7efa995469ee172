import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { env } from "@/env";
import { decryptSecret } from "../../crypto/secrets";
import { alertRules, notifications, webhookDeliveries } from "../../db/schema";
import { OutboundRefusedError, outboundFetch } from "../../net/outbound";
import { writeAudit } from "../audit/write";
import { logOf, type ServiceCtx } from "../context";
import { thresholdOf } from "./conditions";
import { keyOf, type Keyed, type Outbound } from "./rules";
import { DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhook } from "./signature";

/**
 * The console's public address, for absolute links in webhooks: AUTH_URL (the address
 * next-auth is configured with, without its /api/auth path) when set, else this machine on
 * the configured port.
 */
export function publicBaseUrl(source: Record<string, string | undefined> = process.env): string {
  const parsed = z.url().safeParse(source.AUTH_URL?.trim() || undefined);
  if (!parsed.success) return `http://localhost:${env.PORT}`;
  const url = new URL(parsed.data);
  return `${url.origin}${url.pathname.replace(/\/api\/auth\/?$/, "").replace(/\/$/, "")}`;
}

/** The JSON a receiver gets. */
export type WebhookPayload = {
  id: string;
  rule: { id: string | null; name: string | null; condition: string | null; threshold: string | null };
  team: string;
  title: string;
  body: string;
  link: string;
  firedAt: string;
  data: Record<string, unknown>;
};

export type DeliveryOutcome = { status: "delivered" | "pending" | "failed"; attempts: number; responseStatus: number | null; error: string | null };

/** A receiver's answer worth trying again: none at all, a timeout, 408, 429 or a 5xx. */
const retryable = (status: number | null) => status === null || status === 408 || status === 429 || status >= 500;

/**
 * Sends one notification's webhook: POST of the JSON payload, signed (see signature.ts), with
 * a 10 s timeout and no redirects followed. Records the attempt on the delivery. A failure
 * worth retrying throws, so the worker tries again with its backoff; on the last attempt, or
 * when the receiver refuses for good (another 4xx, a redirect), the delivery is marked failed
 * instead. A URL whose host is, or now resolves to, an internal address is not called at all
 * (net/outbound.ts checks the addresses the connection is made to): the delivery fails at
 * once, saying why. A delivered or failed delivery is not sent again.
 */
export async function deliverWebhook({
  ctx,
  deliveryId,
  attempt = 1,
  maxAttempts = 1,
  timeoutMs = 10_000,
  outbound,
  ...keyed
}: { ctx: ServiceCtx; deliveryId: string; attempt?: number; maxAttempts?: number; timeoutMs?: number } & Keyed & Outbound): Promise<DeliveryOutcome> {
  const log = logOf(ctx);
  const [row] = await ctx.db
    .select({ delivery: webhookDeliveries, notification: notifications, rule: alertRules })
    .from(webhookDeliveries)
    .innerJoin(notifications, eq(notifications.id, webhookDeliveries.notificationId))
    .leftJoin(alertRules, eq(alertRules.id, notifications.ruleId))
    .where(eq(webhookDeliveries.id, deliveryId));
  if (!row) {
    log.warn("webhook delivery not found (its notification was deleted); nothing sent", { deliveryId });
    return { status: "failed", attempts: 0, responseStatus: null, error: "not found" };
  }
  const { delivery, notification, rule } = row;
  if (delivery.status !== "pending") {
    return { status: delivery.status as DeliveryOutcome["status"], attempts: delivery.attempts, responseStatus: delivery.responseStatus, error: delivery.lastError };
  }

  const record = async (o: { status: DeliveryOutcome["status"]; responseStatus: number | null; error: string | null }): Promise<DeliveryOutcome> => {
    const [saved] = await ctx.db
      .update(webhookDeliveries)
      .set({
        status: o.status,
        attempts: sql`${webhookDeliveries.attempts} + 1`,
        responseStatus: o.responseStatus,
        lastError: o.error,
        ...(o.status === "delivered" && { deliveredAt: sql`now()` }),
      })
      .where(eq(webhookDeliveries.id, delivery.id))
      .returning({ attempts: webhookDeliveries.attempts });
    if (o.status !== "pending") {
      await writeAudit(ctx, {
        action: o.status === "delivered" ? "alert.webhook_delivered" : "alert.webhook_failed",
        entityType: "webhook_delivery",
        entityId: delivery.id,
        after: { notificationId: notification.id, url: delivery.url, attempts: saved!.attempts, responseStatus: o.responseStatus, error: o.error },
      });
    }
    return { ...o, attempts: saved!.attempts };
  };

  // the secret signs for the address it was saved with: a rule whose webhook was removed or moved since is not called
  if (!rule?.webhookUrl || !rule.webhookSecret || rule.webhookUrl !== delivery.url) {
    return record({ status: "failed", responseStatus: null, error: "The rule's webhook was removed or changed after this notification; it was not sent." });
  }
  let secret: string;
  try {
    secret = decryptSecret(rule.webhookSecret, keyOf(keyed));
  } catch (err) {
    return record({ status: "failed", responseStatus: null, error: `The signing secret cannot be read (${(err as Error).message}); save it again on the rule.` });
  }

  const payload: WebhookPayload = {
    id: notification.id,
    rule: { id: rule.id, name: rule.name, condition: rule.condition, threshold: thresholdOf(rule.condition, rule.threshold) },
    team: notification.ownerTeam,
    title: notification.title,
    body: notification.body,
    link: new URL(notification.link, `${publicBaseUrl()}/`).toString(),
    firedAt: notification.createdAt.toISOString(),
    data: notification.data,
  };
  const raw = JSON.stringify(payload);
  const timestamp = Math.floor(Date.now() / 1000);

  let status: number | null = null;
  let error: string | null = null;
  let refused = false;
  try {
    const res = await outboundFetch({ what: "The webhook URL", policy: outbound })(delivery.url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "User-Agent": "Hourbridge-Webhooks/1",
        [DELIVERY_HEADER]: delivery.id,
        [TIMESTAMP_HEADER]: String(timestamp),
        [SIGNATURE_HEADER]: signWebhook(secret, timestamp, raw),
      },
      body: raw,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = res.status;
    const text = await res.text().catch(() => "");
    if (status >= 300 && status <= 399) {
      const location = res.headers.get("location");
      error = `The receiver answered ${status}, a redirect${location ? ` to ${location.slice(0, 300)}` : ""}; webhooks do not follow redirects, so give the final address as the webhook URL.`;
    } else if (status < 200 || status > 299) {
      error = `The receiver answered ${status}${text ? `: ${text.slice(0, 200)}` : ""}`;
    }
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (err instanceof OutboundRefusedError) {
      refused = true;
      error = `${err.message} It was not sent; change the rule's webhook URL.`;
    } else {
      error =
        e.name === "TimeoutError" || e.name === "AbortError"
          ? `No answer within ${Math.round(timeoutMs / 1000)} s`
          : `The receiver could not be reached (${e.cause?.code ?? e.cause?.message ?? e.message})`;
    }
  }

  if (error === null) return record({ status: "delivered", responseStatus: status, error: null });
  const last = attempt >= maxAttempts;
  const outcome = await record({ status: last || refused || !retryable(status) ? "failed" : "pending", responseStatus: status, error });
  if (outcome.status === "pending") {
    throw new Error(`Webhook delivery ${delivery.id} to ${new URL(delivery.url).origin} failed (attempt ${attempt} of ${maxAttempts}): ${error}. It will be tried again.`);
  }
  log.error(`webhook delivery ${delivery.id} failed for good: ${error}`, { deliveryId: delivery.id, attempts: outcome.attempts, responseStatus: status });
  return outcome;
}
