"use client";

import { Area, CartesianGrid, ComposedChart, Legend, Line, Tooltip, XAxis, YAxis } from "recharts";
import type { SyncCharts } from "@/server/services/sync/console/sync-charts";
import { AXIS_LABEL, AXIS_TICK, bucketLabel, ChartFrame, SERIES, tickTime } from "./chart-frame";

/**
 * The outbox over time, from the queue snapshots: postings waiting (pending, and retrying
 * after a temporary failure) stacked, and those needing a person (dead-lettered or refused)
 * as a line.
 */
export function ChartAreaBacklog({ data, windowLabel }: { data: SyncCharts; windowLabel: string }) {
  const rows = data.points.map((p) => ({
    t: p.at.getTime(),
    pending: p.backlog?.pending ?? null,
    retrying: p.backlog?.retrying ?? null,
    stuck: p.backlog ? p.backlog.dead + p.backlog.rejected : null,
  }));
  const taken = rows.filter((r) => r.pending !== null);
  const last = taken.at(-1);
  const title = "Backlog over time";
  const description = last
    ? `Postings waiting to be sent, and those needing a person, at the last queue snapshot of each bucket. At the latest: ${(last.pending! + last.retrying!).toLocaleString("en-US")} waiting, ${last.stuck!.toLocaleString("en-US")} dead-lettered or refused. Times in UTC.`
    : "Postings waiting to be sent, and those needing a person, from the queue snapshots.";
  return (
    <ChartFrame title={title} description={description} empty={taken.length === 0 ? `No snapshot of the queue was taken in the ${windowLabel}.` : null} testId="chart-backlog">
      <ComposedChart data={rows} margin={{ top: 4, right: 8, bottom: 18, left: 8 }} title={title} desc={description}>
        <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" vertical={false} />
        <XAxis dataKey="t" tick={AXIS_TICK} tickFormatter={tickTime(data.stepSeconds)} minTickGap={28} label={{ value: "Time (UTC)", position: "insideBottom", offset: -12, ...AXIS_LABEL }} />
        <YAxis allowDecimals={false} tick={AXIS_TICK} width={44} label={{ value: "Postings", angle: -90, position: "insideLeft", offset: 4, ...AXIS_LABEL }} />
        <Tooltip labelFormatter={bucketLabel(data.stepSeconds)} />
        <Legend verticalAlign="top" height={24} iconSize={10} wrapperStyle={{ fontSize: 12 }} />
        <Area type="stepAfter" dataKey="pending" name="Waiting" stackId="w" stroke={SERIES.pending} fill={SERIES.pending} fillOpacity={0.25} connectNulls isAnimationActive={false} />
        <Area type="stepAfter" dataKey="retrying" name="Retrying" stackId="w" stroke={SERIES.retrying} fill={SERIES.retrying} fillOpacity={0.3} connectNulls isAnimationActive={false} />
        <Line type="stepAfter" dataKey="stuck" name="Dead-lettered or refused" stroke={SERIES.stuck} strokeWidth={2} dot={false} connectNulls isAnimationActive={false} />
      </ComposedChart>
    </ChartFrame>
  );
}
