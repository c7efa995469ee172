import type { connectors } from "@/server/db/schema";
import type { JobName } from "@/server/services/jobs/enqueue";

type ConnectorRow = typeof connectors.$inferSelect;

/**
 * What runs on a schedule, per connector role. The connector's own `schedule_cron` drives its
 * main job (a source's pull, the ERP's posting); the others have defaults that a connector may
 * override in `settings.schedules` (five-field cron, UTC; an empty string turns one off).
 */
export const SCHEDULED_JOBS = {
  source: [
    { name: "pull", job: "pull-time", setting: null, fallback: "*/5 * * * *" },
    { name: "fullWalk", job: "full-walk", setting: "fullWalk", fallback: "0 3 * * *" },
  ],
  erp: [
    { name: "post", job: "send-postings", setting: null, fallback: "* * * * *" },
    { name: "masterData", job: "pull-master-data", setting: "masterData", fallback: "0 * * * *" },
    { name: "readBack", job: "read-back", setting: "readBack", fallback: "30 * * * *" },
  ],
} as const satisfies Record<"source" | "erp", readonly { name: string; job: JobName; setting: string | null; fallback: string }[]>;

/** The cron expressions in force for a connector: job → expression (null = not scheduled). */
export function schedulesOf(row: Pick<ConnectorRow, "role" | "scheduleCron" | "settings">): { name: string; job: JobName; cron: string | null }[] {
  const overrides = ((row.settings ?? {}) as { schedules?: Record<string, unknown> }).schedules ?? {};
  return SCHEDULED_JOBS[row.role].map((s) => {
    if (s.setting === null) return { name: s.name, job: s.job, cron: row.scheduleCron || null };
    const o = overrides[s.setting];
    if (typeof o === "string") return { name: s.name, job: s.job, cron: o.trim() || null };
    return { name: s.name, job: s.job, cron: s.fallback };
  });
}
