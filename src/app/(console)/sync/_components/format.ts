import type { BadgeTone } from "@/components/ui/badge";
import type { ConnectorStatus } from "@/server/services/sync/overview";

export const STATUS_LABEL: Record<ConnectorStatus, string> = {
  healthy: "Healthy",
  degraded: "Degraded",
  down: "Down",
  paused: "Paused",
};

export const STATUS_TONE: Record<ConnectorStatus, BadgeTone> = {
  healthy: "success",
  degraded: "warning",
  down: "danger",
  paused: "neutral",
};

/** most serious first: the order the page header names connectors in */
export const STATUS_RANK: Record<ConnectorStatus, number> = { down: 0, degraded: 1, paused: 2, healthy: 3 };

export const ROLE_LABEL = { source: "Time source", erp: "ERP" } as const;

export const SYSTEM_LABEL: Record<string, string> = { harvest: "Harvest API v2", netsuite: "NetSuite REST", clockify: "Clockify" };

/** what each scheduled job is called on screen */
export const SCHEDULE_LABEL: Record<string, string> = {
  pull: "Pull time",
  fullWalk: "Full walk",
  post: "Post the outbox",
  masterData: "Master data",
  readBack: "Read back",
};

/** sync_runs.kind in words */
export const RUN_KIND_LABEL: Record<string, string> = {
  time_pull: "time pull",
  full_walk: "full walk",
  posting: "posting",
  master_data: "master-data pull",
  read_back: "read-back",
};

/** "in 3 min", "in 2 h", "due now" */
export function formatUntil(d: string | null | undefined, now: number): string {
  if (!d) return "not scheduled";
  const s = Math.round((new Date(d).getTime() - now) / 1000);
  if (s <= 30) return "due now";
  if (s < 90) return "in 1 min";
  if (s < 3600) return `in ${Math.round(s / 60)} min`;
  if (s < 86_400) return `in ${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
  return `in ${Math.floor(s / 86_400)} days`;
}

/** "14:05 UTC" */
export function formatClock(d: string | number | null | undefined, seconds = false): string {
  if (d === null || d === undefined) return "—";
  const iso = new Date(d).toISOString();
  return `${iso.slice(11, seconds ? 19 : 16)} UTC`;
}

/** "3.4%", "0%", "—" when nothing ran */
export function formatRate(rate: number | null): string {
  if (rate === null) return "—";
  const pct = rate * 100;
  return `${pct > 0 && pct < 10 ? pct.toFixed(1) : Math.round(pct)}%`;
}

export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

/** the common five-field cron shapes in words; anything else is shown as written */
export function describeCron(cron: string | null): string {
  if (!cron) return "off";
  const f = cron.trim().split(/\s+/);
  if (f.length !== 5) return cron;
  const [min, hour, dom, mon, dow] = f as [string, string, string, string, string];
  const rest = dom === "*" && mon === "*" && dow === "*";
  if (!rest) return cron;
  if (min === "*" && hour === "*") return "every minute";
  const step = /^\*\/(\d+)$/.exec(min);
  if (step && hour === "*") return `every ${step[1]} min`;
  if (/^\d+$/.test(min) && hour === "*") return `hourly at :${min.padStart(2, "0")}`;
  if (/^\d+$/.test(min) && /^\d+$/.test(hour)) return `daily at ${hour.padStart(2, "0")}:${min.padStart(2, "0")} UTC`;
  return cron;
}
