import Big from "big.js";
import { and, eq, sql } from "drizzle-orm";
import { env } from "@/env";
import { OWNER_LABELS } from "@/lib/exception-labels";
import { formatAmount } from "@/lib/money";
import { withTx, type Tx } from "../../db/client";
import { alertRules, notifications, webhookDeliveries } from "../../db/schema";
import { writeAudit } from "../audit/write";
import { logOf, type ServiceCtx } from "../context";
import { enqueueJob } from "../jobs/enqueue";
import { WEBHOOK_MAX_ATTEMPTS, isAlertCondition, type AlertCondition } from "./catalog";
import { judge, measureTeams, measuresOf, queueFilterFor, queueHref, thresholdOf, type TeamMeasures } from "./conditions";

type RuleRow = typeof alertRules.$inferSelect;

export type EvaluationResult = {
  evaluated: number;
  /** rules that started firing in this evaluation, with their notification */
  fired: { ruleId: string; episode: number; notificationId: string; title: string }[];
  /** rules whose condition cleared (they re-arm) */
  cleared: { ruleId: string }[];
};

const count = (n: number, one: string, many: string) => `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;

/** "50,000" or "50,000.50": a threshold as people write it. */
function plainAmount(v: string): string {
  const b = new Big(v);
  const fixed = b.eq(b.round(0, Big.roundDown)) ? b.toFixed(0) : b.toFixed(2);
  const [int = "0", frac] = fixed.split(".");
  return `${int.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}${frac ? `.${frac}` : ""}`;
}

/** The notification's words: what is wrong, for whom, and the rule that said so. */
export function describeAlert(rule: Pick<RuleRow, "ownerTeam" | "name" | "threshold">, condition: AlertCondition, m: TeamMeasures, currency = env.REPORTING_CURRENCY) {
  const team = OWNER_LABELS[rule.ownerTeam];
  const firesWhen = {
    value_blocked_over: () => `${team}'s open exceptions block more than ${formatAmount(rule.threshold, currency, { cents: !rule.threshold!.endsWith(".00") })}`,
    open_count_over: () => `${team} has more than ${plainAmount(rule.threshold!)} open exceptions`,
    older_than_sla: () => `any of ${team}'s open exceptions is past its SLA`,
  }[condition]();
  const rulePart = `Rule "${rule.name}" fires when ${firesWhen}.`;
  switch (condition) {
    case "value_blocked_over": {
      const unvalued = m.unvalued ? ` ${count(m.unvalued, "more exception has", "more exceptions have")} no value in ${currency} yet and ${m.unvalued === 1 ? "is" : "are"} not counted.` : "";
      return {
        title: `${team}: ${formatAmount(m.value, currency)} blocked, over the ${plainAmount(rule.threshold!)} threshold`,
        body: `${count(m.count - m.unvalued, "open exception", "open exceptions")} owned by ${team} block ${formatAmount(m.value, currency, { cents: true })} of approved time.${unvalued} ${rulePart}`,
      };
    }
    case "open_count_over":
      return {
        title: `${team}: ${count(m.count, "open exception", "open exceptions")}, over the ${plainAmount(rule.threshold!)} threshold`,
        body: `${team} owns ${count(m.count, "open exception", "open exceptions")}, blocking ${formatAmount(m.value, currency)}. ${rulePart}`,
      };
    case "older_than_sla": {
      const since = m.oldestOverSlaFirstSeenAt ? `; the oldest has been open since ${m.oldestOverSlaFirstSeenAt.toISOString().slice(0, 16).replace("T", " ")} UTC` : "";
      return {
        title: `${team}: ${count(m.overSla, "exception", "exceptions")} past ${m.overSla === 1 ? "its" : "their"} SLA`,
        body: `${count(m.overSla, "open exception", "open exceptions")} of ${team}'s ${m.count.toLocaleString("en-US")} ${m.overSla === 1 ? "is" : "are"} older than ${m.overSla === 1 ? "its code's" : "their codes'"} SLA${since}. ${rulePart}`,
      };
    }
  }
}

/**
 * Evaluates every active rule against the open exceptions, counted as the queue counts them.
 * A rule whose condition becomes true starts a new episode and notifies once (the
 * notification's dedupe key is "<rule id>:<episode>"), with a webhook delivery queued when the
 * rule has one; while it stays true nothing more is sent; when it clears, it re-arms.
 *
 * Safe to run twice at once: the transition to firing is a conditional update (`… where not
 * firing and version = <seen>`), so only one evaluator wins it, and the dedupe key's unique
 * index stops a second notification in any case.
 */
export async function evaluateAlerts({ ctx }: { ctx: ServiceCtx }): Promise<EvaluationResult> {
  const rules = await ctx.db.select().from(alertRules).where(eq(alertRules.active, true));
  const result: EvaluationResult = { evaluated: 0, fired: [], cleared: [] };
  if (rules.length === 0) return result;
  const measures = await measureTeams(ctx.db);
  const log = logOf(ctx);

  for (const rule of rules) {
    if (!isAlertCondition(rule.condition)) {
      log.warn("alert rule with an unknown condition skipped", { ruleId: rule.id, condition: rule.condition });
      continue;
    }
    const m = measuresOf(measures, rule.ownerTeam);
    const { value, breached } = judge(rule.condition, rule.threshold, m);
    result.evaluated += 1;
    const seen = { lastValue: value, lastEvaluatedAt: sql`now()` };

    if (breached) {
      const fired = await withTx(ctx.db, async (tx) => {
        const [started] = await tx
          .update(alertRules)
          .set({ ...seen, firing: true, episode: sql`${alertRules.episode} + 1`, lastFiredAt: sql`now()` })
          .where(and(eq(alertRules.id, rule.id), eq(alertRules.active, true), eq(alertRules.firing, false), eq(alertRules.version, rule.version)))
          .returning();
        if (!started) return null;
        return notify({ ...ctx, db: tx }, tx, started, rule.condition as AlertCondition, m, value);
      });
      if (fired) result.fired.push(fired);
      else await ctx.db.update(alertRules).set(seen).where(eq(alertRules.id, rule.id));
    } else {
      const [cleared] = await withTx(ctx.db, async (tx) => {
        const rows = await tx
          .update(alertRules)
          .set({ ...seen, firing: false })
          .where(and(eq(alertRules.id, rule.id), eq(alertRules.firing, true)))
          .returning({ id: alertRules.id, episode: alertRules.episode });
        if (rows[0]) {
          await writeAudit({ ...ctx, db: tx }, { action: "alert.cleared", entityType: "alert_rule", entityId: rule.id, after: { episode: rows[0].episode, value } });
        }
        return rows;
      });
      if (cleared) result.cleared.push({ ruleId: cleared.id });
      else await ctx.db.update(alertRules).set(seen).where(eq(alertRules.id, rule.id));
    }
  }
  if (result.fired.length || result.cleared.length) {
    log.info(`alerts evaluated: ${result.evaluated} rules, ${result.fired.length} fired, ${result.cleared.length} cleared`, { fired: result.fired.map((f) => f.ruleId), cleared: result.cleared.map((c) => c.ruleId) });
  }
  return result;
}

/** The episode's one notification, its webhook delivery and job, and the audit entry: in the caller's transaction. */
async function notify(ctx: ServiceCtx, tx: Tx, rule: RuleRow, condition: AlertCondition, m: TeamMeasures, value: string) {
  const { title, body } = describeAlert(rule, condition, m);
  const [n] = await tx
    .insert(notifications)
    .values({
      ruleId: rule.id,
      ownerTeam: rule.ownerTeam,
      dedupeKey: `${rule.id}:${rule.episode}`,
      title,
      body,
      link: queueHref(queueFilterFor(rule.ownerTeam, condition)),
      data: {
        condition,
        threshold: thresholdOf(condition, rule.threshold),
        value,
        currency: env.REPORTING_CURRENCY,
        episode: rule.episode,
        openCount: m.count,
        valueBlocked: m.value,
        unvalued: m.unvalued,
        overSla: m.overSla,
      },
    })
    .onConflictDoNothing({ target: notifications.dedupeKey })
    .returning({ id: notifications.id });
  if (!n) return null;
  let deliveryId: string | null = null;
  if (rule.webhookUrl && rule.webhookSecret) {
    const [d] = await tx.insert(webhookDeliveries).values({ notificationId: n.id, url: rule.webhookUrl }).returning({ id: webhookDeliveries.id });
    deliveryId = d!.id;
    await enqueueJob(tx, "deliver-webhook", { deliveryId }, { jobKey: `deliver-webhook:${deliveryId}`, maxAttempts: WEBHOOK_MAX_ATTEMPTS });
  }
  await writeAudit(ctx, { action: "alert.fired", entityType: "alert_rule", entityId: rule.id, after: { episode: rule.episode, value, notificationId: n.id, title, webhookDeliveryId: deliveryId } });
  return { ruleId: rule.id, episode: rule.episode, notificationId: n.id, title };
}

/** "Evaluate now" from the console: the same evaluation, recorded as the person's action. */
export async function evaluateAlertsNow({ ctx }: { ctx: ServiceCtx }): Promise<EvaluationResult> {
  const result = await evaluateAlerts({ ctx });
  await writeAudit(ctx, {
    action: "alert.evaluate_now",
    entityType: "alert_rule",
    after: { evaluated: result.evaluated, fired: result.fired.map((f) => f.ruleId), cleared: result.cleared.map((c) => c.ruleId) },
  });
  return result;
}
