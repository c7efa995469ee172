import type { DbOrTx } from "../db/client";
import type { Role } from "../auth/roles";

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
};

export const systemActor = (label: string): Actor => ({ kind: "system", label });
