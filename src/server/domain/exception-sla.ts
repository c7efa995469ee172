import { EXCEPTION_CODES, type ExceptionCode, type Severity } from "./enums";

/** How long an exception of each severity may stay open by default, in hours (per code in exception_slas). */
export const DEFAULT_SLA_HOURS: Record<Severity, number> = { critical: 8, high: 24, medium: 72, low: 168 };

export const defaultSlaHours = (code: ExceptionCode): number => DEFAULT_SLA_HOURS[EXCEPTION_CODES[code].severity];

/** Where an open exception stands against its SLA: within half of it, in its second half, or late. */
export type SlaState = "ok" | "due" | "late";

export function slaState(ageHours: number, slaHours: number): SlaState {
  if (ageHours >= slaHours) return "late";
  if (ageHours >= slaHours / 2) return "due";
  return "ok";
}
