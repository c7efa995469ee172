"use client";

import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from "recharts";
import type { SyncCharts } from "@/server/services/sync/console/sync-charts";
import { AXIS_LABEL, AXIS_TICK, bucketLabel, ChartFrame, PALETTE, tickTime } from "./chart-frame";

/** Failed attempts per bucket, stacked by error class (5xx, 429, timeout, network, refusals by code). */
export function ChartBarErrors({ data, windowLabel }: { data: SyncCharts; windowLabel: string }) {
  const classes = data.errorClasses;
  const rows = data.points.map((p) => ({ t: p.at.getTime(), ...Object.fromEntries(classes.map((c) => [c.errorClass, p.errors[c.errorClass] ?? 0])) }));
  const title = "Errors by class";
  const description = classes.length
    ? `Failed attempts over the ${windowLabel}, by cause: ${classes.map((c) => `${c.label} ${c.count.toLocaleString("en-US")}`).join("; ")}. Times in UTC.`
    : "Failed attempts, by cause.";
  return (
    <ChartFrame title={title} description={description} empty={classes.length === 0 ? `No attempt failed in the ${windowLabel}.` : null} testId="chart-errors">
      <BarChart data={rows} margin={{ top: 4, right: 8, bottom: 18, left: 8 }} title={title} desc={description}>
        <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" vertical={false} />
        <XAxis dataKey="t" tick={AXIS_TICK} tickFormatter={tickTime(data.stepSeconds)} minTickGap={28} label={{ value: "Time (UTC)", position: "insideBottom", offset: -12, ...AXIS_LABEL }} />
        <YAxis allowDecimals={false} tick={AXIS_TICK} width={44} label={{ value: "Failed attempts", angle: -90, position: "insideLeft", offset: 4, ...AXIS_LABEL }} />
        <Tooltip labelFormatter={bucketLabel(data.stepSeconds)} />
        <Legend verticalAlign="top" height={24} iconSize={10} wrapperStyle={{ fontSize: 12 }} />
        {classes.map((c, i) => (
          <Bar key={c.errorClass} dataKey={c.errorClass} name={c.label} stackId="e" fill={PALETTE[i % PALETTE.length]} isAnimationActive={false} />
        ))}
      </BarChart>
    </ChartFrame>
  );
}
