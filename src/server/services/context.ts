import type { DbOrTx } from "../db/client";
import type { Role } from "../auth/roles";
import { silentLog, type Log } from "../log";

/** Who acts: a signed-in user, or the system (a job, a migration, a seed). */
export type Actor =
  | { kind: "user"; userId: string; email: string; roles: Role[] }
  | { kind: "system"; label: string };

/** What every service verb receives: the database (or a transaction) and the actor. */
export type ServiceCtx = {
  db: DbOrTx;
  actor: Actor;
  correlationId: string;
  ip?: string | null;
  /** where the verb writes its log lines (JSON, with the correlation id); none = silent */
  log?: Log;
};

/** The verb's log: the context's, carrying its correlation id. */
export const logOf = (ctx: Pick<ServiceCtx, "log" | "correlationId">): Log => (ctx.log ?? silentLog).child({ correlationId: ctx.correlationId });

export const systemActor = (label: string): Actor => ({ kind: "system", label });
