"use client";

import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from "recharts";
import type { KpiTrends } from "@/server/services/kpis/trends";
import { AXIS_LABEL, AXIS_TICK, ChartFrame, SERIES } from "./chart-frame";
import { dayLabel, tickDay } from "./kpi-days";

const hours = (s: number | null) => (s === null ? null : Math.round((s / 3600) * 10) / 10);

/** Approval → acceptance by the ERP, per day of acceptance: median and 95th percentile, in hours. */
export function ChartLinePostingLatencyDaily({ data }: { data: KpiTrends }) {
  const rows = data.points.map((p) => ({ day: p.day, p50: hours(p.latencyP50Seconds), p95: hours(p.latencyP95Seconds) }));
  const measured = rows.filter((r) => r.p50 !== null);
  const worst = measured.reduce((m, r) => Math.max(m, r.p95 ?? 0), 0);
  const title = "Posting latency, approval to ERP (hours)";
  const description = measured.length
    ? `For the postings the ERP accepted each day: how long after approval, median and slowest 5%. The slowest day's p95 was ${worst.toLocaleString("en-US")} h. Days without acceptances are gaps.`
    : "For the postings the ERP accepted each day: how long after approval, median and slowest 5%.";
  return (
    <ChartFrame title={title} description={description} empty={measured.length === 0 ? "The ERP accepted no posting in these days." : null} testId="chart-posting-latency">
      <LineChart data={rows} margin={{ top: 4, right: 8, bottom: 18, left: 8 }} title={title} desc={description}>
        <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" vertical={false} />
        <XAxis dataKey="day" tick={AXIS_TICK} tickFormatter={tickDay} minTickGap={28} label={{ value: "Day of acceptance (UTC)", position: "insideBottom", offset: -12, ...AXIS_LABEL }} />
        <YAxis tick={AXIS_TICK} tickFormatter={(v: number) => `${v} h`} width={56} />
        <Tooltip labelFormatter={dayLabel} formatter={(v) => (typeof v === "number" ? `${v} h` : "—")} />
        <Legend verticalAlign="top" height={24} iconSize={10} wrapperStyle={{ fontSize: 12 }} />
        <Line type="monotone" dataKey="p50" name="p50 (median)" stroke={SERIES.p50} strokeWidth={2} dot={measured.length < 20} connectNulls={false} isAnimationActive={false} />
        <Line type="monotone" dataKey="p95" name="p95" stroke={SERIES.p95} strokeWidth={2} strokeDasharray="5 3" dot={measured.length < 20} connectNulls={false} isAnimationActive={false} />
      </LineChart>
    </ChartFrame>
  );
}
