/** Day ticks and tooltips for the KPI trends (one point per UTC day). */
export function tickDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  return `${d.getUTCDate()} ${d.toLocaleString("en-GB", { month: "short", timeZone: "UTC" })}`;
}
export function dayLabel(day: unknown): string {
  const d = new Date(`${String(day)}T00:00:00Z`);
  return `${d.toLocaleString("en-GB", { weekday: "short", day: "numeric", month: "short", year: "numeric", timeZone: "UTC" })} (UTC)`;
}
/** "1.2M", "340k", "950" for axis ticks (the axis names the currency). */
export function compactMoney(v: number): string {
  const a = Math.abs(v);
  if (a >= 1_000_000) return `${(v / 1_000_000).toFixed(1)}M`;
  if (a >= 1_000) return `${Math.round(v / 1_000)}k`;
  return `${Math.round(v)}`;
}
