import { z } from "zod";

/**
 * Every job's payload, one zod schema per task: the task parses what it is given with it when
 * the job runs (queued jobs outlive deploys), and `enqueueJob` takes its payload type from it,
 * so a payload a task would refuse does not compile. The tasks (src/sync/tasks/) import their
 * schema from here; nothing else defines what a job carries.
 */

/** What started a run, as the runs record it. */
export const TRIGGERS = ["schedule", "manual", "replay", "webhook"] as const;
export type Trigger = (typeof TRIGGERS)[number];
export const trigger = z.enum(TRIGGERS).default("schedule");

/** A connector's job: which connector, and what started it. */
export const connectorPayload = z.object({ connectorId: z.uuid(), trigger });

/** A job about everything at once (no subject); only what started it, if anything. */
export const emptyPayload = z.object({ trigger }).passthrough().nullable().default({ trigger: "schedule" });

const kpiSnapshotPayload = z
  .object({
    /** days of flows recomputed (approvals' SLA outcomes settle, late events land) */
    trailingDays: z.number().int().min(1).max(60).default(7),
    /** how far back a first run reconstructs history */
    backfillDays: z.number().int().min(0).max(1000).default(180),
  })
  .passthrough()
  .nullable()
  .default({ trailingDays: 7, backfillDays: 180 });

export const JOB_PAYLOADS = {
  /** every minute (crontab): queues each connector's jobs whose schedule fires */
  schedule: emptyPayload,
  "pull-time": connectorPayload,
  "full-walk": connectorPayload,
  "pull-master-data": connectorPayload,
  "read-back": connectorPayload,
  "send-postings": emptyPayload,
  /** the entries named, or every approved entry not yet queued */
  validate: z.object({ entryIds: z.array(z.uuid()).optional(), stragglers: z.boolean().optional(), stragglersAfterSeconds: z.number().int().min(0).max(86_400).optional() }).passthrough().nullable().default({}),
  "reverse-sync": emptyPayload,
  /** daily (crontab) */
  "prune-history": emptyPayload,
  /** a queued run (from the console or the schedule), or `{ schedule: true }` to queue the schedule's runs */
  reconcile: z.union([z.object({ runId: z.uuid() }), z.object({ schedule: z.literal(true) })]),
  "kpi-snapshot": kpiSnapshotPayload,
  "exceptions-bulk": z.object({ bulkId: z.uuid() }),
  "evaluate-alerts": emptyPayload,
  "deliver-webhook": z.object({ deliveryId: z.uuid() }),
  "mapping-recovery": z.object({ recoveryId: z.uuid() }),
} as const;

/** Every task the worker runs. */
export type TaskName = keyof typeof JOB_PAYLOADS;
/** The tasks only the crontab queues (src/sync/tasks/index.ts); code queues the others. */
export type CronOnlyTask = "schedule" | "prune-history";
/** The jobs code may queue (the console's services, and jobs queueing others). */
export type JobName = Exclude<TaskName, CronOnlyTask>;

/** What a job of `task` may be queued with: its schema's input (defaults not yet applied). */
export type JobPayload<K extends TaskName> = z.input<(typeof JOB_PAYLOADS)[K]>;
/** What a job of `task` runs with: its schema's output. */
export type ParsedPayload<K extends TaskName> = z.output<(typeof JOB_PAYLOADS)[K]>;

/** Parses a job's payload as its task does when it runs; throws the schema's error when refused. */
export function parsePayload<K extends TaskName>(task: K, raw: unknown): ParsedPayload<K> {
  return JOB_PAYLOADS[task].parse(raw ?? undefined) as ParsedPayload<K>;
}
