import { sql } from "drizzle-orm";
import { z } from "zod";
import { exceptionSlas } from "../../db/schema";
import { EXCEPTION_CODE_LIST, EXCEPTION_CODES, type ExceptionCode } from "../../domain/enums";
import { defaultSlaHours } from "../../domain/exception-sla";
import { writeAudit } from "../audit/write";
import type { ServiceCtx } from "../context";

/** Every code's SLA: configured, or its severity's default. */
export async function listSlas({ ctx }: { ctx: ServiceCtx }) {
  const rows = await ctx.db.select().from(exceptionSlas);
  const set = new Map(rows.map((r) => [r.code, r]));
  return EXCEPTION_CODE_LIST.map((code) => {
    const r = set.get(code);
    return {
      code,
      owner: EXCEPTION_CODES[code].owner,
      severity: EXCEPTION_CODES[code].severity,
      slaHours: r?.slaHours ?? defaultSlaHours(code),
      defaultHours: defaultSlaHours(code),
      updatedBy: r?.updatedBy ?? null,
      updatedAt: r?.updatedAt ?? null,
    };
  });
}

export const updateSlaInput = z.object({
  code: z.enum(EXCEPTION_CODE_LIST as unknown as [ExceptionCode, ...ExceptionCode[]], { error: "code is not an exception code" }),
  slaHours: z
    .number({ error: "the SLA must be a number of hours" })
    .int({ error: "the SLA must be a whole number of hours" })
    .min(1, { error: "the SLA must be at least 1 hour" })
    .max(24 * 90, { error: "the SLA can be at most 90 days" }),
});

export async function updateSla({ ctx, input }: { ctx: ServiceCtx; input: z.input<typeof updateSlaInput> }) {
  const v = updateSlaInput.parse(input);
  const by = ctx.actor.kind === "user" ? ctx.actor.email : `system:${ctx.actor.label}`;
  const [before] = await ctx.db.select().from(exceptionSlas).where(sql`${exceptionSlas.code} = ${v.code}`);
  await ctx.db
    .insert(exceptionSlas)
    .values({ code: v.code, slaHours: v.slaHours, updatedBy: by })
    .onConflictDoUpdate({ target: exceptionSlas.code, set: { slaHours: v.slaHours, updatedBy: by, updatedAt: sql`now()` } });
  await writeAudit(ctx, { action: "exception_sla.update", entityType: "exception_sla", entityId: null, before: before ?? { code: v.code, slaHours: defaultSlaHours(v.code) }, after: v });
  return v;
}
