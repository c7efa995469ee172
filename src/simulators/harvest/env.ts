/** The Harvest simulator's environment, parsed once; a bad value fails with a sentence naming it. */
import { z } from "zod";
import { faultsFromEnv } from "../shared/faults";

const envSchema = z.object({
  HARVEST_SIM_PORT: z.coerce.number().int().min(0).max(65_535).default(4101),
  SIM_DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL"),
  HARVEST_SIM_ACCOUNT_ID: z.string().regex(/^\d+$/, "must be digits").default("100001"),
  HARVEST_SIM_TOKEN: z.string().min(1).default("harvest-sim-token"),
  HARVEST_SIM_TICK_SECONDS: z.coerce.number().int().min(0).default(60),
  SIM_FAULTS: z.string().optional(),
  SIM_ADMIN_TOKEN: z.string().min(1).optional(),
  DEMO_SEED: z.coerce.number().int().min(1).default(42),
  DEMO_CONSULTANTS: z.coerce.number().int().min(20).max(20_000).default(200),
  DEMO_PROJECTS: z.coerce.number().int().min(15).max(20_000).default(150),
  DEMO_MONTHS: z.coerce.number().int().min(2).max(36).default(6),
});

export function parseEnv(source: Record<string, string | undefined>) {
  const blank = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== ""));
  const parsed = envSchema.safeParse(blank);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0]);
    const what = source[name] === undefined || source[name] === "" ? "is required" : `is not valid (${issue.message})`;
    throw new Error(`The environment variable ${name} ${what}.`);
  }
  return { ...parsed.data, faults: faultsFromEnv(parsed.data.SIM_FAULTS) };
}
