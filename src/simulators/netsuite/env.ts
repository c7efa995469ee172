import { z } from "zod";
import { faultsFromEnv } from "../shared/faults";

/** The simulator process's environment, parsed once; errors name the variable. */
const int = (name: string, dflt: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === "") return dflt;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: "custom", message: `${name} must be an integer from ${min} to ${max}, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

export const envSchema = z.object({
  NETSUITE_SIM_PORT: int("NETSUITE_SIM_PORT", 4102, 0, 65535),
  SIM_DATABASE_URL: z
    .string({ error: "SIM_DATABASE_URL is required: the PostgreSQL URL the simulator keeps its state in (schema sim_netsuite)" })
    .refine((v) => /^postgres(ql)?:\/\//.test(v), "SIM_DATABASE_URL must be a postgres:// URL"),
  NETSUITE_SIM_ACCOUNT_ID: z.string().regex(/^[A-Za-z0-9_]+$/, "NETSUITE_SIM_ACCOUNT_ID must be letters, digits and _").default("TSTDRV100001"),
  NETSUITE_SIM_TOKEN: z.string().min(1, "NETSUITE_SIM_TOKEN must not be empty").default("netsuite-sim-token"),
  NETSUITE_SIM_CONCURRENCY: int("NETSUITE_SIM_CONCURRENCY", 5, 1, 1000),
  NETSUITE_SIM_INVOICE_SECONDS: int("NETSUITE_SIM_INVOICE_SECONDS", 300, 0, 86_400),
  SIM_FAULTS: z.string().optional(),
  SIM_ADMIN_TOKEN: z.string().optional(),
  // same defaults and bounds as the app (src/env.ts), so master data agree with its demo
  DEMO_SEED: int("DEMO_SEED", 42, 1, 2 ** 31 - 1),
  DEMO_CONSULTANTS: int("DEMO_CONSULTANTS", 200, 20, 20_000),
  DEMO_PROJECTS: int("DEMO_PROJECTS", 150, 15, 20_000),
  DEMO_MONTHS: int("DEMO_MONTHS", 6, 2, 36),
  /** plant the demo's ERP-side reconciliation variances when seeding (1, the default) or not (0) */
  DEMO_ERP_VARIANCES: z.enum(["0", "1"], { error: "DEMO_ERP_VARIANCES must be 0 or 1" }).default("1"),
  DEMO_END_DATE: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, "DEMO_END_DATE must be YYYY-MM-DD")
    .optional(),
});

export function parseSimEnv(env: Record<string, string | undefined>) {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => i.message).join("; "));
  return { ...parsed.data, faults: faultsFromEnv(parsed.data.SIM_FAULTS) };
}

