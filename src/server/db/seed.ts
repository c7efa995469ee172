import { sql } from "drizzle-orm";
import type { Db } from "./client";
import { users } from "./schema";
import type { Role } from "../auth/roles";
import { createUser } from "../services/users/create";
import { systemActor } from "../services/context";

/** One demo user per role; their passwords are printed in the README. */
export const DEMO_USERS: { email: string; name: string; password: string; roles: Role[] }[] = [
  { email: "admin@hourbridge.test", name: "Dana Whitfield", password: "hourbridge-admin", roles: ["admin"] },
  { email: "finance@hourbridge.test", name: "Marcus Lee", password: "hourbridge-finance", roles: ["finance_ops"] },
  { email: "pmo@hourbridge.test", name: "Priya Natarajan", password: "hourbridge-pmo", roles: ["pmo"] },
  { email: "exec@hourbridge.test", name: "Helen Cho", password: "hourbridge-exec", roles: ["executive"] },
];

/** Creates the demo users that are missing; leaves existing ones as they are. */
export async function seedDemo(db: Db): Promise<{ created: string[] }> {
  const created: string[] = [];
  const ctx = { db, actor: systemActor("seed"), correlationId: crypto.randomUUID() };
  for (const u of DEMO_USERS) {
    const [exists] = await db.select({ id: users.id }).from(users).where(sql`lower(${users.email}) = ${u.email}`);
    if (exists) continue;
    await createUser({ ctx, input: { ...u, scope: { entities: [], regions: [] } } });
    created.push(u.email);
  }
  return { created };
}
