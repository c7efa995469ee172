import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRPCError } from "@trpc/server";
import { appRouter, createCaller } from "./root";
import type { Context } from "./trpc";
import { auditLog, users } from "../db/schema";
import { ROLES, type Role } from "../auth/roles";
import { createTestDatabase, type TestDatabase } from "../../../test/db";
import { ctxFor, makeUser, uniqueEmail, type TestUser } from "../../../test/factories";

/**
 * Who may call what: one decision per procedure. A procedure added to the router without
 * a line here fails this test, and so does a line for a procedure that no longer exists.
 *   "public": anyone, signed in or not
 *   "authed": any signed-in user
 *   [roles]:  signed-in users holding at least one of these roles
 */
type Access = "public" | "authed" | readonly Role[];
const ACCESS: Record<string, Access> = {
  "me.get": "authed",
  "users.list": ["admin"],
  "users.create": ["admin"],
  "users.update": ["admin"],
  "users.setDisabled": ["admin"],
  "audit.list": ["admin"],
  "audit.facets": ["admin"],
  "exceptions.summary": ["admin", "finance_ops", "pmo"],
  "exceptions.list": ["admin", "finance_ops", "pmo"],
  "exceptions.figures": ["admin", "finance_ops", "pmo"],
  "exceptions.groups": ["admin", "finance_ops", "pmo"],
  "exceptions.detail": ["admin", "finance_ops", "pmo"],
  "exceptions.facets": ["admin", "finance_ops", "pmo"],
  "exceptions.act": ["admin", "finance_ops", "pmo"],
  "exceptions.bulk": ["admin", "finance_ops", "pmo"],
  "exceptions.bulkStatus": ["admin", "finance_ops", "pmo"],
  "exceptions.views": ["admin", "finance_ops", "pmo"],
  "exceptions.saveView": ["admin", "finance_ops", "pmo"],
  "exceptions.deleteView": ["admin", "finance_ops", "pmo"],
  "exceptions.slas": ["admin", "finance_ops", "pmo"],
  "exceptions.updateSla": ["admin"],
  "alerts.rules": ["admin", "finance_ops", "pmo"],
  "alerts.createRule": ["admin", "finance_ops", "pmo"],
  "alerts.updateRule": ["admin", "finance_ops", "pmo"],
  "alerts.setRuleActive": ["admin", "finance_ops", "pmo"],
  "alerts.deleteRule": ["admin", "finance_ops", "pmo"],
  "alerts.evaluateNow": ["admin"],
  "alerts.notifications": ["admin", "finance_ops", "pmo"],
  "alerts.unreadCount": ["admin", "finance_ops", "pmo"],
  "alerts.markRead": ["admin", "finance_ops", "pmo"],
  "alerts.markAllRead": ["admin", "finance_ops", "pmo"],
  "sync.overview": ["admin", "finance_ops"],
  "sync.runNow": ["admin"],
  "sync.replayPreview": ["admin", "finance_ops"],
  "sync.replay": ["admin", "finance_ops"],
  "connectors.pause": ["admin"],
  "connectors.resume": ["admin"],
  "connectors.updateSchedule": ["admin"],
  "connectors.updateLimits": ["admin"],
  "connectors.updateEndpoint": ["admin"],
  "connectors.testConnection": ["admin"],
  "syncConsole.runs": ["admin", "finance_ops"],
  "syncConsole.run": ["admin", "finance_ops"],
  "syncConsole.deadLetters": ["admin", "finance_ops"],
  "syncConsole.deadLetterItems": ["admin", "finance_ops"],
  "syncConsole.charts": ["admin", "finance_ops"],
  "kpis.dashboard": "authed",
  "kpis.trends": "authed",
  "kpis.breakdown": "authed",
  "kpis.entries": "authed",
  "reconciliation.overview": ["admin", "finance_ops", "executive"],
  "reconciliation.run": ["admin", "finance_ops", "executive"],
  "reconciliation.variances": ["admin", "finance_ops", "executive"],
  "reconciliation.comparable": ["admin", "finance_ops", "executive"],
  "reconciliation.compare": ["admin", "finance_ops", "executive"],
  "reconciliation.closeReadiness": ["admin", "finance_ops", "executive"],
  "reconciliation.request": ["admin", "finance_ops"],
  "mappings.overview": ["admin", "pmo"],
  "mappings.unmapped": ["admin", "pmo"],
  "mappings.list": ["admin", "pmo"],
  "mappings.targets": ["admin", "pmo"],
  "mappings.preview": ["admin", "pmo"],
  "mappings.save": ["admin", "pmo"],
  "mappings.accept": ["admin", "pmo"],
  "mappings.history": ["admin", "pmo"],
  "mappings.recovery": ["admin", "pmo"],
  "mappings.recoveries": ["admin", "pmo"],
};

type Outcome = "ok" | TRPCError["code"];

function allowed(access: Access, role: Role | null): boolean {
  if (access === "public") return true;
  if (role === null) return false;
  return access === "authed" || access.includes(role);
}

const procedurePaths = () => Object.keys(appRouter._def.procedures).sort();

async function call(ctx: Context, path: string, input: unknown): Promise<Outcome> {
  const caller = createCaller(ctx) as unknown as Record<string, unknown>;
  const fn = path.split(".").reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], caller);
  try {
    await (fn as (input: unknown) => Promise<unknown>)(input);
    return "ok";
  } catch (err) {
    if (err instanceof TRPCError) return err.code;
    throw err;
  }
}

let t: TestDatabase;
const members = {} as Record<Role, TestUser>;
let target: TestUser;

beforeAll(async () => {
  t = await createTestDatabase();
  for (const role of ROLES) members[role] = await makeUser(t.db, { roles: [role] });
  target = await makeUser(t.db, { roles: ["pmo"], name: "Target Person" });
});
afterAll(async () => {
  await t?.drop();
});

describe("the access table", () => {
  it("has a decision for every procedure of the router", () => {
    const missing = procedurePaths().filter((p) => !(p in ACCESS));
    expect(missing, `procedures without an access decision in ${import.meta.url}`).toEqual([]);
  });

  it("names no procedure the router does not have", () => {
    const stale = Object.keys(ACCESS).filter((p) => !procedurePaths().includes(p));
    expect(stale).toEqual([]);
  });

  it("walks a router that has procedures", () => {
    // guards against _def.procedures changing shape and the matrix silently testing nothing
    expect(procedurePaths().length).toBeGreaterThanOrEqual(7);
    expect(procedurePaths()).toContain("users.create");
  });
});

describe("role × procedure matrix", () => {
  const subjects: (Role | null)[] = [...ROLES, null];
  for (const path of procedurePaths()) {
    const access = ACCESS[path] ?? ["__no_decision__" as Role];
    for (const role of subjects) {
      const who = role ?? "signed out";
      const expected = allowed(access, role);
      it(`${path} as ${who}: ${expected ? "allowed" : "refused"}`, async () => {
        const ctx = ctxFor(t.db, role ? members[role] : null);
        for (const input of [undefined, {}]) {
          const outcome = await call(ctx, path, input);
          if (!expected) {
            expect(outcome).toBe(role === null ? "UNAUTHORIZED" : "FORBIDDEN");
          } else {
            // bad or missing input may be refused, but never for want of a role, and never with a 500
            expect(["UNAUTHORIZED", "FORBIDDEN", "INTERNAL_SERVER_ERROR"]).not.toContain(outcome);
          }
        }
      });
    }
  }

  it("a user with several roles gets the union of their access", async () => {
    const both = await makeUser(t.db, { roles: ["pmo", "admin"] });
    expect(await call(ctxFor(t.db, both), "audit.facets", undefined)).toBe("ok");
  });
});

describe("refused calls change nothing, even with valid input", () => {
  const validInput: Record<string, () => unknown> = {
    "users.create": () => ({ email: uniqueEmail("intruder"), name: "Intruder", roles: ["admin"] }),
    "users.update": () => ({
      id: target.id,
      expectedUpdatedAt: target.updatedAt.toISOString(),
      roles: ["admin"],
    }),
    "users.setDisabled": () => ({ id: target.id, disabled: true }),
  };

  for (const [path, input] of Object.entries(validInput)) {
    it(`${path} is refused for every non-admin role and the signed-out`, async () => {
      const usersBefore = await t.db.select().from(users).orderBy(users.id);
      const auditBefore = await t.db.$count(auditLog);
      for (const role of [...ROLES.filter((r) => r !== "admin"), null]) {
        const outcome = await call(ctxFor(t.db, role ? members[role] : null), path, input());
        expect(outcome).toBe(role ? "FORBIDDEN" : "UNAUTHORIZED");
      }
      expect(await t.db.select().from(users).orderBy(users.id)).toEqual(usersBefore);
      expect(await t.db.$count(auditLog)).toBe(auditBefore);
    });
  }

  it("the same valid input succeeds for an admin (so the refusals above are about the role)", async () => {
    const admin = ctxFor(t.db, members.admin);
    expect(await call(admin, "users.create", validInput["users.create"]!())).toBe("ok");
    expect(await call(admin, "users.update", validInput["users.update"]!())).toBe("ok");
  });
});
