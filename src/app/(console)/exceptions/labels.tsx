import { Badge, type BadgeTone } from "@/components/ui/badge";
import { slaState } from "@/server/domain/exception-sla";

export const STATUS_LABEL = { open: "Open", resolved: "Resolved", ignored: "Ignored" } as const;
export const STATUS_TONE: Record<keyof typeof STATUS_LABEL, BadgeTone> = { open: "warning", resolved: "success", ignored: "neutral" };

const SLA_TONE = { ok: "success", due: "warning", late: "danger" } as const;
const SLA_WORD = { ok: "within SLA", due: "SLA due soon", late: "past SLA" } as const;

/** "3 d" / "5 h" / "40 min" */
export function shortAge(hours: number): string {
  if (hours < 1) return `${Math.max(1, Math.round(hours * 60))} min`;
  if (hours < 48) return `${Math.floor(hours)} h`;
  return `${Math.floor(hours / 24)} d`;
}

/** An open exception's age against its SLA, in words and colour (green, amber past half, red when late). */
export function SlaBadge({ ageHours, slaHours }: { ageHours: number; slaHours: number }) {
  const s = slaState(ageHours, slaHours);
  return (
    <Badge tone={SLA_TONE[s]} title={`SLA ${slaHours} h`}>
      {shortAge(ageHours)} · {SLA_WORD[s]}
    </Badge>
  );
}
