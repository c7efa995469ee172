import { sql } from "drizzle-orm";
import type { Db } from "./client";
import { users } from "./schema";
import type { Role } from "../auth/roles";
import { createUser } from "../services/users/create";
import { systemActor } from "../services/context";
import { seedDemoData } from "../demo/load";
import { validateEntries } from "../services/validation/validate-entries";

/** One demo user per role; their passwords are printed in the README. */
export const DEMO_USERS: { email: string; name: string; password: string; roles: Role[] }[] = [
  { email: "admin@hourbridge.test", name: "Dana Whitfield", password: "hourbridge-admin", roles: ["admin"] },
  { email: "finance@hourbridge.test", name: "Marcus Lee", password: "hourbridge-finance", roles: ["finance_ops"] },
  { email: "pmo@hourbridge.test", name: "Priya Natarajan", password: "hourbridge-pmo", roles: ["pmo"] },
  { email: "exec@hourbridge.test", name: "Helen Cho", password: "hourbridge-exec", roles: ["executive"] },
];

/** Creates the demo users that are missing; leaves existing ones as they are. */
export async function seedDemoUsers(db: Db): Promise<{ created: string[] }> {
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

export type DemoSeedOptions = { seed: number; consultants: number; projects: number; months: number; endDate?: string };

/**
 * The demo as the dev start shows it: users, then (on an empty database) the generated firm
 * with six months of time, validated so its exceptions are there to triage.
 */
export async function seedDemo(db: Db, opts: DemoSeedOptions, log: (line: string) => void = () => {}) {
  const users = await seedDemoUsers(db);
  if (users.created.length) log(`demo users created: ${users.created.join(", ")}`);
  const data = await seedDemoData(db, opts);
  if (data.skipped) return { users, data, validation: null };
  log(`demo data loaded in ${(data.ms / 1000).toFixed(1)} s: ${data.counts.timeEntries} time entries, ${data.counts.employees} consultants, ${data.counts.projects} projects`);
  const started = performance.now();
  const validation = await validateEntries({ ctx: { db, actor: systemActor("seed"), correlationId: crypto.randomUUID() } });
  log(`validated ${validation.validated} approved entries in ${((performance.now() - started) / 1000).toFixed(1)} s: ${validation.passed} ready to post, ${validation.failed} blocked by ${validation.exceptionsRaised} exceptions`);
  return { users, data, validation };
}
