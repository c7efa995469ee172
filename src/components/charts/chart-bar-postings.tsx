"use client";

import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from "recharts";
import type { SyncCharts } from "@/server/services/sync/console/sync-charts";
import { AXIS_LABEL, AXIS_TICK, bucketLabel, ChartFrame, perBucket, SERIES, tickTime } from "./chart-frame";

/** Posting attempts per bucket, stacked by outcome: accepted, refused by the ERP, failed for a temporary reason. */
export function ChartBarPostings({ data, windowLabel }: { data: SyncCharts; windowLabel: string }) {
  const rows = data.points.map((p) => ({ t: p.at.getTime(), accepted: p.accepted, rejected: p.rejected, failed: p.failed }));
  const { accepted, rejected, failed } = data.totals;
  const title = `Postings ${perBucket(data.stepSeconds)}`;
  const description = `Attempts to post to the ERP over the ${windowLabel}, by outcome: ${accepted.toLocaleString("en-US")} accepted, ${rejected.toLocaleString("en-US")} refused, ${failed.toLocaleString("en-US")} failed (temporary). Times in UTC.`;
  return (
    <ChartFrame title={title} description={description} empty={accepted + rejected + failed === 0 ? `Nothing was sent to the ERP in the ${windowLabel}.` : null} testId="chart-postings">
      <BarChart data={rows} margin={{ top: 4, right: 8, bottom: 18, left: 8 }} title={title} desc={description}>
        <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" vertical={false} />
        <XAxis dataKey="t" tick={AXIS_TICK} tickFormatter={tickTime(data.stepSeconds)} minTickGap={28} label={{ value: "Time (UTC)", position: "insideBottom", offset: -12, ...AXIS_LABEL }} />
        <YAxis allowDecimals={false} tick={AXIS_TICK} width={44} label={{ value: "Attempts", angle: -90, position: "insideLeft", offset: 4, ...AXIS_LABEL }} />
        <Tooltip labelFormatter={bucketLabel(data.stepSeconds)} />
        <Legend verticalAlign="top" height={24} iconSize={10} wrapperStyle={{ fontSize: 12 }} />
        <Bar dataKey="accepted" name="Accepted" stackId="o" fill={SERIES.accepted} isAnimationActive={false} />
        <Bar dataKey="rejected" name="Refused by the ERP" stackId="o" fill={SERIES.rejected} isAnimationActive={false} />
        <Bar dataKey="failed" name="Failed (temporary)" stackId="o" fill={SERIES.failed} isAnimationActive={false} />
      </BarChart>
    </ChartFrame>
  );
}
