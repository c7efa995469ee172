"use client";

import type { inferRouterOutputs } from "@trpc/server";
import { useId, useState } from "react";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Table, Td, Th } from "@/components/ui/table";
import { formatDateTime } from "@/lib/format";
import type { AppRouter } from "@/server/api/root";

type LifeCycleData = NonNullable<inferRouterOutputs<AppRouter>["exceptions"]["detail"]["lineage"]>["lifeCycle"];
type LifeCycleEvent = LifeCycleData["events"][number];

/**
 * Rows shown before "Show all": the first transition (where the entry came from) and the latest
 * ones. Most entries have fewer (received, approved, posted, invoiced); each correction adds three.
 */
const SHOWN = 8;

/** Good news green, what needs a person red, what changes course amber; the rest plain. */
const TONE: Record<string, BadgeTone> = {
  approved: "success",
  posted: "success",
  invoiced: "success",
  refused: "danger",
  reversal_refused: "danger",
  changed_after_invoice: "danger",
  withdrawn: "warning",
  rejected: "warning",
  voided: "warning",
  changed: "warning",
  corrected: "warning",
  found_superseded: "warning",
  uninvoiced: "warning",
};

/**
 * The entry's life cycle, oldest first so it reads as its story: when (UTC), the transition in
 * words with the states it moved between, the version it concerns, the sentence written when it
 * happened, and who or what acted. Long histories show the first and the latest transitions until
 * "Show all".
 */
export function LifeCycle({ lifeCycle, entryLabel }: { lifeCycle: LifeCycleData; entryLabel: string }) {
  const [all, setAll] = useState(false);
  const headingId = useId();
  const tableId = useId();
  const { events, total } = lifeCycle;
  const collapsible = events.length > SHOWN;
  const hidden = collapsible && !all ? events.length - SHOWN : 0;
  const head = hidden ? events.slice(0, 1) : events;
  const tail = hidden ? events.slice(events.length - (SHOWN - 1)) : [];

  return (
    <section aria-labelledby={headingId}>
      <h3 id={headingId} className="mb-1 text-sm font-semibold text-slate-900">
        Life cycle
        {total > 0 && (
          <span className="font-normal text-slate-600">
            {" "}
            ({total.toLocaleString("en-US")} {total === 1 ? "transition" : "transitions"}, oldest first)
          </span>
        )}
      </h3>
      {events.length === 0 ? (
        <p className="text-sm text-slate-600">
          No transition is recorded for this entry yet (entries loaded before transitions were kept have none); its payloads and postings below still show what
          happened to it.
        </p>
      ) : (
        <>
          {total > events.length && (
            <p className="mb-1 text-xs text-slate-600">
              The latest {events.length.toLocaleString("en-US")} of {total.toLocaleString("en-US")} transitions; the earlier ones are not listed here.
            </p>
          )}
          <Table id={tableId} aria-label={`Life cycle of ${entryLabel}`}>
            <thead>
              <tr>
                <Th>When (UTC)</Th>
                <Th>What happened</Th>
                <Th>Version</Th>
                <Th>Details</Th>
                <Th>By</Th>
              </tr>
            </thead>
            <tbody>
              {head.map((e) => (
                <Row key={e.id} e={e} />
              ))}
              {hidden > 0 && (
                <tr>
                  <Td colSpan={5} className="bg-slate-50 text-center text-xs text-slate-600">
                    {hidden.toLocaleString("en-US")} {hidden === 1 ? "transition" : "transitions"} in between not shown
                  </Td>
                </tr>
              )}
              {tail.map((e) => (
                <Row key={e.id} e={e} />
              ))}
            </tbody>
          </Table>
          {collapsible && (
            <Button size="sm" variant="secondary" className="mt-1" aria-controls={tableId} aria-expanded={all} onClick={() => setAll((a) => !a)}>
              {all ? "Show the first and latest only" : `Show all ${events.length.toLocaleString("en-US")} transitions`}
            </Button>
          )}
        </>
      )}
    </section>
  );
}

function Row({ e }: { e: LifeCycleEvent }) {
  return (
    <tr>
      <Td className="whitespace-nowrap text-xs tabular-nums">{formatDateTime(e.at)}</Td>
      <Td>
        <Badge tone={TONE[e.kind] ?? "neutral"}>{e.words}</Badge>
        <States from={e.fromState} to={e.toState} />
      </Td>
      <Td className="whitespace-nowrap tabular-nums">{e.version ?? "—"}</Td>
      <Td className="min-w-48">{e.message}</Td>
      <Td className="min-w-28 text-xs [overflow-wrap:anywhere]" title={e.by.kind === "person" ? undefined : e.actor}>
        {e.by.name}
      </Td>
    </tr>
  );
}

/** "posted → approved", read aloud as "posted to approved"; "stays billed" when nothing moved. */
function States({ from, to }: { from: string | null; to: string | null }) {
  if (!from && !to) return null;
  const arrow = (
    <>
      <span aria-hidden="true"> → </span>
      <span className="sr-only"> to </span>
    </>
  );
  return (
    <div className="mt-0.5 text-xs whitespace-nowrap text-slate-600">
      {from && to && from === to ? (
        `stays ${to}`
      ) : (
        <>
          {from ?? "new"}
          {to && (
            <>
              {arrow}
              {to}
            </>
          )}
        </>
      )}
    </div>
  );
}
