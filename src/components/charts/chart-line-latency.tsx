"use client";

import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from "recharts";
import { formatDuration } from "@/server/services/sync/console/labels";
import type { SyncCharts } from "@/server/services/sync/console/sync-charts";
import { AXIS_LABEL, AXIS_TICK, bucketLabel, ChartFrame, SERIES, tickTime } from "./chart-frame";

const msTick = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(v >= 10_000 ? 0 : 1)} s` : `${Math.round(v)} ms`);

/** How long each attempt to post took, median and 95th percentile per bucket. */
export function ChartLineLatency({ data, windowLabel }: { data: SyncCharts; windowLabel: string }) {
  const rows = data.points.map((p) => ({ t: p.at.getTime(), p50: p.p50Ms, p95: p.p95Ms }));
  const measured = rows.filter((r) => r.p50 !== null);
  const worst = measured.reduce((m, r) => Math.max(m, r.p95 ?? 0), 0);
  const title = "Posting latency (p50 / p95)";
  const description = measured.length
    ? `How long one call to the ERP took, per bucket: the median and the slowest 5%. The slowest p95 in the ${windowLabel} was ${formatDuration(worst)}. Buckets without attempts are gaps.`
    : `How long one call to the ERP took, per bucket.`;
  return (
    <ChartFrame title={title} description={description} empty={measured.length === 0 ? `No call to the ERP was timed in the ${windowLabel}.` : null} testId="chart-latency">
      <LineChart data={rows} margin={{ top: 4, right: 8, bottom: 18, left: 8 }} title={title} desc={description}>
        <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" vertical={false} />
        <XAxis dataKey="t" tick={AXIS_TICK} tickFormatter={tickTime(data.stepSeconds)} minTickGap={28} label={{ value: "Time (UTC)", position: "insideBottom", offset: -12, ...AXIS_LABEL }} />
        <YAxis tick={AXIS_TICK} tickFormatter={msTick} width={60} label={{ value: "Duration", angle: -90, position: "insideLeft", offset: 2, ...AXIS_LABEL }} />
        <Tooltip labelFormatter={bucketLabel(data.stepSeconds)} formatter={(v) => (typeof v === "number" ? formatDuration(v) : "—")} />
        <Legend verticalAlign="top" height={24} iconSize={10} wrapperStyle={{ fontSize: 12 }} />
        <Line type="monotone" dataKey="p50" name="p50 (median)" stroke={SERIES.p50} strokeWidth={2} dot={measured.length < 3} connectNulls={false} isAnimationActive={false} />
        <Line type="monotone" dataKey="p95" name="p95" stroke={SERIES.p95} strokeWidth={2} strokeDasharray="5 3" dot={measured.length < 3} connectNulls={false} isAnimationActive={false} />
      </LineChart>
    </ChartFrame>
  );
}
