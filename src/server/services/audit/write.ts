import { auditLog } from "../../db/schema";
import type { ServiceCtx } from "../context";

export type AuditEntry = {
  action: string;
  entityType: string;
  entityId?: string | null;
  before?: unknown;
  after?: unknown;
};

/**
 * The one way to write the audit log. Call it with the same ctx.db (transaction) as the
 * change it records, so the change and its record commit or roll back together.
 */
export async function writeAudit(ctx: ServiceCtx, entry: AuditEntry): Promise<void> {
  const actor = ctx.actor;
  await ctx.db.insert(auditLog).values({
    actorId: actor.kind === "user" ? actor.userId : null,
    actorLabel: actor.kind === "user" ? actor.email : `system:${actor.label}`,
    actorRoles: actor.kind === "user" ? actor.roles : [],
    action: entry.action,
    entityType: entry.entityType,
    entityId: entry.entityId ?? null,
    before: redact(entry.before) ?? null,
    after: redact(entry.after) ?? null,
    correlationId: ctx.correlationId,
    ip: ctx.ip ?? null,
  });
}

const SECRET_KEYS = /password|secret|token|hash|credential/i;

/** Secrets never enter the audit log: their values are replaced by a marker. */
export function redact(value: unknown): unknown {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(redact);
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [
      k,
      SECRET_KEYS.test(k) ? (v == null ? v : "[redacted]") : redact(v),
    ]),
  );
}
