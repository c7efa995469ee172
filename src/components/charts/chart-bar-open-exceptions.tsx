"use client";

import { Bar, CartesianGrid, ComposedChart, Legend, Line, Tooltip, XAxis, YAxis } from "recharts";
import type { KpiTrends } from "@/server/services/kpis/trends";
import { AXIS_TICK, AXIS_LABEL, ChartFrame } from "./chart-frame";
import { dayLabel, tickDay } from "./kpi-days";

/** Open exceptions at each day's end (bars) and approved hours not yet accepted by the ERP (line). */
export function ChartBarOpenExceptions({ data }: { data: KpiTrends }) {
  const rows = data.points.map((p) => ({ day: p.day, open: p.openExceptions, unposted: p.unpostedHours === null ? null : Number(p.unpostedHours) }));
  const known = data.points.filter((p) => p.openExceptions !== null);
  const last = known.at(-1);
  const title = "Exception backlog and unposted hours";
  const description = last
    ? `Open exceptions and approved hours the ERP has not accepted, at each day's end. Latest (${last.day}): ${last.openExceptions} open, ${Number(last.unpostedHours).toLocaleString("en-US")} h unposted.`
    : "Open exceptions and approved hours the ERP has not accepted, at each day's end.";
  return (
    <ChartFrame title={title} description={description} empty={known.length === 0 ? "No day has been computed yet: the snapshot job runs every 15 minutes." : null} testId="chart-open-exceptions">
      <ComposedChart data={rows} margin={{ top: 4, right: 8, bottom: 18, left: 8 }} title={title} desc={description}>
        <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" vertical={false} />
        <XAxis dataKey="day" tick={AXIS_TICK} tickFormatter={tickDay} minTickGap={28} label={{ value: "Day (UTC)", position: "insideBottom", offset: -12, ...AXIS_LABEL }} />
        <YAxis yAxisId="n" allowDecimals={false} tick={AXIS_TICK} width={40} label={{ value: "Exceptions", angle: -90, position: "insideLeft", offset: 4, ...AXIS_LABEL }} />
        <YAxis yAxisId="h" orientation="right" tick={AXIS_TICK} tickFormatter={(v: number) => `${v} h`} width={64} />
        <Tooltip labelFormatter={dayLabel} formatter={(v, name) => (name === "Unposted hours" && typeof v === "number" ? `${v.toLocaleString("en-US")} h` : String(v ?? "—"))} />
        <Legend verticalAlign="top" height={24} iconSize={10} wrapperStyle={{ fontSize: 12 }} />
        <Bar yAxisId="n" dataKey="open" name="Open exceptions" fill="#b45309" fillOpacity={0.8} isAnimationActive={false} />
        <Line yAxisId="h" type="stepAfter" dataKey="unposted" name="Unposted hours" stroke="#1d4ed8" strokeWidth={2} dot={false} isAnimationActive={false} />
      </ComposedChart>
    </ChartFrame>
  );
}
