"use client";

import { useId } from "react";
import { ResponsiveContainer } from "recharts";

export const CHART_HEIGHT = 230;

/** Series colours, chosen to stay apart for the common colour-vision deficiencies. */
export const SERIES = {
  accepted: "#0f766e",
  rejected: "#b45309",
  failed: "#b91c1c",
  p50: "#1d4ed8",
  p95: "#7c3aed",
  pending: "#2563eb",
  retrying: "#d97706",
  stuck: "#b91c1c",
} as const;

/** A palette for series whose number is not known in advance (error classes). */
export const PALETTE = ["#b91c1c", "#d97706", "#7c3aed", "#0369a1", "#be185d", "#4d7c0f", "#57534e", "#0f766e"];

export const AXIS_TICK = { fontSize: 11, fill: "#475569" } as const;
export const AXIS_LABEL = { fontSize: 11, fill: "#334155" } as const;

/** "14:05" for buckets within a day; "12 Nov 14:00" for a week; always UTC. */
export function tickTime(stepSeconds: number) {
  return (t: number) => {
    const iso = new Date(t).toISOString();
    if (stepSeconds < 3600) return iso.slice(11, 16);
    const d = new Date(t);
    return `${d.getUTCDate()} ${d.toLocaleString("en-GB", { month: "short", timeZone: "UTC" })} ${iso.slice(11, 16)}`;
  };
}

/** The full bucket in a tooltip: "12 Nov 2026, 14:00–14:15 UTC". */
export function bucketLabel(stepSeconds: number) {
  return (t: unknown) => {
    const start = new Date(Number(t));
    const end = new Date(start.getTime() + stepSeconds * 1000);
    const day = start.toLocaleString("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
    return `${day}, ${start.toISOString().slice(11, 16)}–${end.toISOString().slice(11, 16)} UTC`;
  };
}

/** "per minute", "per 15 minutes", "per hour" */
export function perBucket(stepSeconds: number): string {
  if (stepSeconds === 60) return "per minute";
  if (stepSeconds === 3600) return "per hour";
  return `per ${Math.round(stepSeconds / 60)} minutes`;
}

/**
 * One chart with its title and a sentence saying what it shows, announced together to
 * assistive technology; when there is nothing to draw, an honest sentence instead of an
 * empty grid.
 */
export function ChartFrame({
  title,
  description,
  empty,
  children,
  testId,
}: {
  title: string;
  description: string;
  /** the sentence to show instead of the chart, or null to draw it */
  empty: string | null;
  children: React.ReactNode;
  testId?: string;
}) {
  const id = useId();
  return (
    <figure className="rounded-lg border border-slate-200 bg-white p-3" aria-labelledby={`${id}-t`} aria-describedby={`${id}-d`} data-testid={testId}>
      <figcaption className="mb-2">
        <h3 id={`${id}-t`} className="text-sm font-semibold text-slate-900">
          {title}
        </h3>
        <p id={`${id}-d`} className="text-xs text-slate-600">
          {description}
        </p>
      </figcaption>
      {empty ? (
        <div className="flex items-center justify-center rounded-md border border-dashed border-slate-300 bg-slate-50 px-4 text-center text-sm text-slate-600" style={{ height: CHART_HEIGHT }}>
          {empty}
        </div>
      ) : (
        <div style={{ height: CHART_HEIGHT }}>
          <ResponsiveContainer width="100%" height={CHART_HEIGHT} initialDimension={{ width: 520, height: CHART_HEIGHT }}>
            {children as React.ReactElement}
          </ResponsiveContainer>
        </div>
      )}
    </figure>
  );
}
