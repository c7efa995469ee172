"use client";

import { Area, AreaChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from "recharts";
import { formatAmount } from "@/lib/money";
import type { KpiTrends } from "@/server/services/kpis/trends";
import { AXIS_LABEL, AXIS_TICK, ChartFrame } from "./chart-frame";
import { compactMoney, dayLabel, tickDay } from "./kpi-days";

const COLORS = { exception: "#b91c1c", posting: "#d97706", invoice: "#1d4ed8" } as const;

/** Unbilled approved value per day, stacked by what holds it: an open exception, posting, or the invoice. */
export function ChartAreaUnbilledValue({ data }: { data: KpiTrends }) {
  const rows = data.points.map((p) => ({
    day: p.day,
    exception: p.blockedExceptionValue === null ? null : Number(p.blockedExceptionValue),
    posting: p.awaitingPostingValue === null ? null : Number(p.awaitingPostingValue),
    invoice: p.awaitingInvoiceValue === null ? null : Number(p.awaitingInvoiceValue),
  }));
  const known = data.points.filter((p) => p.unbilledValue !== null);
  const last = known.at(-1);
  const backfilled = known.some((p) => p.method === "backfill");
  const rc = data.reportingCurrency;
  const title = `Unbilled approved value (${rc})`;
  const description = last
    ? `Billable approved time not yet invoiced, at each day's end, by what holds it. Latest (${last.day}): ${formatAmount(last.unbilledValue, rc)}.${backfilled ? " Days before the daily snapshots began are reconstructed from the entries' dates and show no exception split." : ""}`
    : "Billable approved time not yet invoiced, at each day's end, by what holds it.";
  return (
    <ChartFrame title={title} description={description} empty={known.length === 0 ? "No day has been computed yet: the snapshot job runs every 15 minutes." : null} testId="chart-unbilled-value">
      <AreaChart data={rows} margin={{ top: 4, right: 8, bottom: 18, left: 8 }} title={title} desc={description}>
        <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" vertical={false} />
        <XAxis dataKey="day" tick={AXIS_TICK} tickFormatter={tickDay} minTickGap={28} label={{ value: "Day (UTC)", position: "insideBottom", offset: -12, ...AXIS_LABEL }} />
        <YAxis tick={AXIS_TICK} tickFormatter={compactMoney} width={56} label={{ value: rc, angle: -90, position: "insideLeft", offset: 2, ...AXIS_LABEL }} />
        <Tooltip labelFormatter={dayLabel} formatter={(v) => (typeof v === "number" ? formatAmount(String(v), rc) : "—")} />
        <Legend verticalAlign="top" height={24} iconSize={10} wrapperStyle={{ fontSize: 12 }} />
        <Area type="linear" dataKey="exception" name="Blocked by an exception" stackId="v" stroke={COLORS.exception} fill={COLORS.exception} fillOpacity={0.35} isAnimationActive={false} />
        <Area type="linear" dataKey="posting" name="Awaiting posting" stackId="v" stroke={COLORS.posting} fill={COLORS.posting} fillOpacity={0.35} isAnimationActive={false} />
        <Area type="linear" dataKey="invoice" name="Posted, awaiting invoice" stackId="v" stroke={COLORS.invoice} fill={COLORS.invoice} fillOpacity={0.25} isAnimationActive={false} />
      </AreaChart>
    </ChartFrame>
  );
}
