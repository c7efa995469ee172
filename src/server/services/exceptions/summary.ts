import { and, desc, eq, sql } from "drizzle-orm";
import { env } from "@/env";
import { exceptions, legalEntities } from "../../db/schema";
import { scopeCondition, type Scope } from "../../auth/scope";
import type { ServiceCtx } from "../context";

/**
 * Open exceptions as they stand: totals by code and owner team, and the most valuable
 * ones, limited to what the user's scope lets them see. Values are in the reporting
 * currency at each blocked entry's work-date rate.
 */
export async function exceptionsSummary({ ctx, scope }: { ctx: ServiceCtx; scope: Scope }) {
  const visible = and(
    eq(exceptions.status, "open"),
    scopeCondition(scope, { entity: legalEntities.code, region: exceptions.region }),
  );
  const byCode = await ctx.db
    .select({
      code: exceptions.code,
      owner: exceptions.owner,
      open: sql<number>`count(*)::int`,
      entries: sql<number>`coalesce(sum(${exceptions.entriesCount}), 0)::int`,
      hours: sql<string>`coalesce(sum(${exceptions.hoursAtStake}), 0)::text`,
      /** null when no blocked entry of the code could be converted */
      valueReporting: sql<string | null>`sum(${exceptions.valueReporting})::text`,
      oldestWorkDate: sql<string | null>`min(${exceptions.oldestWorkDate})::text`,
      firstSeenAt: sql<Date>`min(${exceptions.firstSeenAt})`,
    })
    .from(exceptions)
    .leftJoin(legalEntities, eq(legalEntities.id, exceptions.legalEntityId))
    .where(visible)
    .groupBy(exceptions.code, exceptions.owner)
    .orderBy(desc(sql`coalesce(sum(${exceptions.valueReporting}), 0)`));

  const top = await ctx.db
    .select({
      id: exceptions.id,
      code: exceptions.code,
      owner: exceptions.owner,
      severity: exceptions.severity,
      subjectLabel: exceptions.subjectLabel,
      message: exceptions.message,
      suggestedFix: exceptions.suggestedFix,
      entries: exceptions.entriesCount,
      hours: exceptions.hoursAtStake,
      value: exceptions.valueAtStake,
      currency: exceptions.currency,
      valueReporting: exceptions.valueReporting,
      oldestWorkDate: exceptions.oldestWorkDate,
      firstSeenAt: exceptions.firstSeenAt,
      entityCode: legalEntities.code,
    })
    .from(exceptions)
    .leftJoin(legalEntities, eq(legalEntities.id, exceptions.legalEntityId))
    .where(visible)
    .orderBy(desc(sql`coalesce(${exceptions.valueReporting}, 0)`), desc(exceptions.hoursAtStake), exceptions.id)
    .limit(25);

  return { reportingCurrency: env.REPORTING_CURRENCY, byCode, top };
}
