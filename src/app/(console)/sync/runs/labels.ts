import type { BadgeTone } from "@/components/ui/badge";
import { RUN_KINDS, RUN_TRIGGERS } from "@/server/services/sync/console/labels";
import { SYNC_RUN_STATUSES } from "@/server/domain/enums";

export type RunStatus = (typeof SYNC_RUN_STATUSES)[number];

/** sync_runs.kind in words, capitalised for a table cell */
export const KIND_LABEL: Record<(typeof RUN_KINDS)[number], string> = {
  time_pull: "Time pull",
  full_walk: "Full walk",
  master_data: "Master-data pull",
  read_back: "Read-back",
  posting: "Posting",
  csv_import: "CSV import",
};

export const TRIGGER_LABEL: Record<(typeof RUN_TRIGGERS)[number], string> = {
  schedule: "Schedule",
  manual: "Manual",
  replay: "Replay",
  webhook: "Webhook",
};

export const RUN_STATUS_LABEL: Record<RunStatus, string> = {
  running: "Running",
  succeeded: "Succeeded",
  failed: "Failed",
  partial: "Partial",
};

export const RUN_STATUS_TONE: Record<RunStatus, BadgeTone> = {
  running: "info",
  succeeded: "success",
  failed: "danger",
  partial: "warning",
};

export const kindLabel = (k: string) => KIND_LABEL[k as keyof typeof KIND_LABEL] ?? k;
export const triggerLabel = (t: string) => TRIGGER_LABEL[t as keyof typeof TRIGGER_LABEL] ?? t;
