"use client";

import { Bar, CartesianGrid, ComposedChart, Legend, Line, Tooltip, XAxis, YAxis } from "recharts";
import type { KpiTrends } from "@/server/services/kpis/trends";
import { AXIS_LABEL, AXIS_TICK, ChartFrame } from "./chart-frame";
import { dayLabel, tickDay } from "./kpi-days";

/** Share of the day's approvals the ERP accepted within the entity's posting SLA, with the day's approvals as bars. */
export function ChartLineSlaShare({ data }: { data: KpiTrends }) {
  const rows = data.points.map((p) => ({ day: p.day, share: p.slaShare === null ? null : Math.round(Number(p.slaShare) * 1000) / 10, approved: p.approved }));
  const decided = data.points.filter((p) => p.slaShare !== null);
  const met = decided.reduce((a, p) => a + p.slaMet, 0);
  const missed = decided.reduce((a, p) => a + p.slaMissed, 0);
  const title = "Posted within SLA (%)";
  const description = decided.length
    ? `Of the entries approved each day, the share the ERP accepted within the legal entity's posting SLA (entries whose SLA still runs are left out). Over the ${data.points.length} days: ${met.toLocaleString("en-US")} within, ${missed.toLocaleString("en-US")} late.`
    : "Of the entries approved each day, the share the ERP accepted within the legal entity's posting SLA.";
  return (
    <ChartFrame title={title} description={description} empty={decided.length === 0 ? "No approval in these days has reached its SLA yet." : null} testId="chart-sla-share">
      <ComposedChart data={rows} margin={{ top: 4, right: 8, bottom: 18, left: 8 }} title={title} desc={description}>
        <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" vertical={false} />
        <XAxis dataKey="day" tick={AXIS_TICK} tickFormatter={tickDay} minTickGap={28} label={{ value: "Day of approval (UTC)", position: "insideBottom", offset: -12, ...AXIS_LABEL }} />
        <YAxis yAxisId="pct" domain={[0, 100]} tick={AXIS_TICK} tickFormatter={(v: number) => `${v}%`} width={44} />
        <YAxis yAxisId="n" orientation="right" allowDecimals={false} tick={AXIS_TICK} width={40} label={{ value: "Approvals", angle: 90, position: "insideRight", offset: 4, ...AXIS_LABEL }} />
        <Tooltip labelFormatter={dayLabel} formatter={(v, name) => (name === "Within SLA" ? (typeof v === "number" ? `${v}%` : "—") : String(v))} />
        <Legend verticalAlign="top" height={24} iconSize={10} wrapperStyle={{ fontSize: 12 }} />
        <Bar yAxisId="n" dataKey="approved" name="Approvals" fill="#94a3b8" fillOpacity={0.6} isAnimationActive={false} />
        <Line yAxisId="pct" type="monotone" dataKey="share" name="Within SLA" stroke="#0f766e" strokeWidth={2} dot={decided.length < 20} connectNulls={false} isAnimationActive={false} />
      </ComposedChart>
    </ChartFrame>
  );
}
