"use client";

import { useSuspenseInfiniteQuery } from "@tanstack/react-query";
import { AlertTriangle, ArrowLeft, CheckCircle2, Circle, CircleDot, Loader2, XCircle } from "lucide-react";
import Link from "next/link";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Select } from "@/components/ui/field";
import { Table, Td, Th } from "@/components/ui/table";
import { formatDateTime } from "@/lib/format";
import { formatHoursValue } from "@/lib/money";
import { useUrlState } from "@/lib/url-state";
import { formatDuration } from "@/server/services/sync/console/labels";
import type { RunDetail, TimelineEvent } from "@/server/services/sync/console/get-run";
import { errorMessage, useTRPC } from "@/trpc/client";
import { LOG_PAGE_SIZE } from "../filters";
import { kindLabel, RUN_STATUS_LABEL, RUN_STATUS_TONE, triggerLabel } from "../labels";



/** the log levels, least severe first (as the server orders them) */
const LEVELS = ["debug", "info", "warn", "error"] as const;
type Level = (typeof LEVELS)[number];
const LEVEL_LABEL: Record<Level, string> = { debug: "All lines", info: "Info and up", warn: "Warnings and errors", error: "Errors only" };

const OUTCOME: Record<string, { label: string; tone: BadgeTone }> = {
  accepted: { label: "Accepted", tone: "success" },
  found: { label: "Found already in the ERP", tone: "success" },
  rejected: { label: "Refused by the ERP", tone: "warning" },
  transient: { label: "Failed (temporary)", tone: "danger" },
};
const POSTING_STATUS: Record<string, string> = { pending: "waiting", sent: "sent, outcome pending", accepted: "accepted", rejected: "refused", dead: "dead-lettered", superseded: "superseded" };

const linkClass = "font-medium text-brand-700 underline-offset-2 hover:underline";
const clock = (d: Date) => d.toISOString().slice(11, 23);

function TimelineIcon({ kind }: { kind: TimelineEvent["kind"] }) {
  const cls = "size-4 shrink-0";
  switch (kind) {
    case "started":
      return <CircleDot className={`${cls} text-brand-600`} aria-hidden />;
    case "finished":
      return <CheckCircle2 className={`${cls} text-emerald-600`} aria-hidden />;
    case "running":
      return <Loader2 className={`${cls} text-brand-600`} aria-hidden />;
    case "warning":
      return <AlertTriangle className={`${cls} text-amber-600`} aria-hidden />;
    case "error":
      return <XCircle className={`${cls} text-red-600`} aria-hidden />;
    default:
      return <Circle className={`${cls} text-slate-400`} aria-hidden />;
  }
}

function Section({ title, children, id }: { title: string; children: React.ReactNode; id: string }) {
  return (
    <section aria-labelledby={id} className="rounded-lg border border-slate-200 bg-white p-4">
      <h2 id={id} className="mb-3 text-sm font-semibold text-slate-900">
        {title}
      </h2>
      {children}
    </section>
  );
}

export function RunView({ id }: { id: string }) {
  const trpc = useTRPC();
  const { params, set } = useUrlState();
  const levelParam = params.get("level");
  const logLevel: Level = (LEVELS as readonly string[]).includes(levelParam ?? "") ? (levelParam as Level) : "debug";
  const q = useSuspenseInfiniteQuery(
    trpc.syncConsole.run.infiniteQueryOptions({ id, logLevel, logLimit: LOG_PAGE_SIZE }, { getNextPageParam: (p) => p.logs.nextCursor }),
  );
  const detail: RunDetail = q.data.pages[0]!;
  const lines = q.data.pages.flatMap((p) => p.logs.lines);
  const { run, timeline, touched, failures } = detail;
  const c = run.counts;
  const counts: [string, number][] = [
    ["fetched", c.fetched],
    ["new", c.created],
    ["changed", c.updated],
    ["unchanged", c.unchanged],
    ["posted", c.posted],
    ["refused", c.rejected],
    ["failed", c.failed],
    ["duplicates skipped", c.duplicatesSkipped],
  ];

  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-2 flex flex-wrap items-center gap-3 text-sm">
        <Link href="/sync/runs" className={`${linkClass} inline-flex items-center gap-1`}>
          <ArrowLeft className="size-3.5" aria-hidden /> All runs
        </Link>
        {run.connectorId && (
          <>
            <Link href={`/sync/runs?connector=${run.connectorId}`} className={linkClass}>
              Runs of {run.connectorName}
            </Link>
            <Link href="/sync" className={linkClass}>
              {run.connectorName} on the connectors page
            </Link>
          </>
        )}
      </nav>

      <header className="mb-4 rounded-lg border border-slate-200 bg-white p-4">
        <div className="flex flex-wrap items-center gap-2">
          <h1 className="text-lg font-semibold text-slate-900">
            {kindLabel(run.kind)} run{run.connectorName ? ` · ${run.connectorName}` : ""}
          </h1>
          <Badge tone={RUN_STATUS_TONE[run.status]} className="text-sm">
            {RUN_STATUS_LABEL[run.status]}
          </Badge>
        </div>
        <p className="mt-1 text-sm text-slate-800">{run.summary}</p>
        {run.error && (
          <p className="mt-1 rounded-md border border-red-200 bg-red-50 px-2 py-1 text-sm text-red-800" role="note">
            {run.error}
          </p>
        )}
        <dl className="mt-3 grid grid-cols-2 gap-x-6 gap-y-1 text-xs sm:grid-cols-4 lg:grid-cols-6">
          <div>
            <dt className="text-slate-500">Started</dt>
            <dd className="text-slate-900">{formatDateTime(run.startedAt)}</dd>
          </div>
          <div>
            <dt className="text-slate-500">Finished</dt>
            <dd className="text-slate-900">{run.finishedAt ? formatDateTime(run.finishedAt) : "still running"}</dd>
          </div>
          <div>
            <dt className="text-slate-500">Duration</dt>
            <dd className="text-slate-900 tabular-nums">{formatDuration(run.durationMs)}</dd>
          </div>
          <div>
            <dt className="text-slate-500">Trigger</dt>
            <dd className="text-slate-900">{triggerLabel(run.trigger)}</dd>
          </div>
          <div>
            <dt className="text-slate-500">Cursor before → after</dt>
            <dd className="font-mono text-[11px] break-all text-slate-900">
              {run.cursorBefore ?? "—"} → {run.cursorAfter ?? "—"}
            </dd>
          </div>
          <div>
            <dt className="text-slate-500">Correlation id</dt>
            <dd className="font-mono text-[11px] break-all text-slate-900">{run.correlationId}</dd>
          </div>
        </dl>
        <p className="mt-2 text-xs text-slate-600">
          Counts: {counts.filter(([, n]) => n > 0).map(([k, n]) => `${n.toLocaleString("en-US")} ${k}`).join(" · ") || "nothing counted"}
        </p>
      </header>

      <div className="grid grid-cols-1 gap-4 lg:grid-cols-[minmax(0,2fr)_minmax(0,3fr)]">
        <Section title="Timeline" id="timeline-h">
          <ol className="space-y-1.5" aria-label="Timeline">
            {timeline.map((e, i) => (
              <li key={i} className="flex items-start gap-2 text-sm">
                <TimelineIcon kind={e.kind} />
                <span className="w-24 shrink-0 font-mono text-[11px] leading-5 text-slate-500">{e.at ? clock(e.at) : ""}</span>
                <span className={e.kind === "error" ? "text-red-800" : e.kind === "warning" ? "text-amber-800" : "text-slate-800"}>{e.label}</span>
              </li>
            ))}
          </ol>
          <p className="mt-2 text-[11px] text-slate-500">Times in UTC. Steps without a time are what the run reported about itself.</p>
        </Section>

        <Section title="Failures" id="failures-h">
          {failures.byClass.length === 0 && !failures.error && failures.listed.length === 0 ? (
            <p className="flex items-center gap-2 text-sm text-emerald-800">
              <CheckCircle2 className="size-4" aria-hidden /> Nothing failed in this run.
            </p>
          ) : (
            <div className="space-y-3">
              {failures.error && <p className="text-sm text-red-800">The run itself: {failures.error}</p>}
              {failures.byClass.length > 0 && (
                <ul className="space-y-2">
                  {failures.byClass.map((f) => (
                    <li key={f.errorClass} className="rounded-md border border-slate-200 p-2">
                      <div className="flex flex-wrap items-baseline justify-between gap-2">
                        <span className="text-sm font-medium text-slate-900">{f.label}</span>
                        <span className="text-xs text-slate-600">
                          {f.attempts.toLocaleString("en-US")} attempts · {f.postings.toLocaleString("en-US")} postings
                        </span>
                      </div>
                      <p className="mt-1 text-sm text-slate-700">{f.sentence}</p>
                      {f.latestError && <p className="mt-1 font-mono text-[11px] break-all text-slate-500">Latest: {f.latestError}</p>}
                    </li>
                  ))}
                </ul>
              )}
              {failures.listed.length > 0 && (
                <div>
                  <h3 className="text-xs font-semibold text-slate-700">Not taken in</h3>
                  <ul className="mt-1 max-h-48 space-y-0.5 overflow-auto font-mono text-[11px] text-slate-700">
                    {failures.listed.map((l, i) => (
                      <li key={i} className="break-all">
                        {typeof l === "string" ? l : JSON.stringify(l)}
                      </li>
                    ))}
                  </ul>
                </div>
              )}
            </div>
          )}
        </Section>
      </div>

      <div className="mt-4">
        <Section title="What it touched" id="touched-h">
          {!touched.rawRecords && !touched.postings && <p className="text-sm text-slate-600">This run kept no record of what it received or sent (a {kindLabel(run.kind).toLowerCase()} writes canonical rows directly).</p>}
          {touched.rawRecords && (
            <div className="mb-3 text-sm">
              <p className="text-slate-800">
                Received {touched.rawRecords.count.toLocaleString("en-US")} raw records ({touched.rawRecords.byObjectType.map((t) => `${t.count.toLocaleString("en-US")} ${t.objectType}`).join(", ")}), each kept unchanged.
              </p>
              <p className="mt-1 text-xs text-slate-600">
                First source ids: <span className="font-mono text-[11px] text-slate-800">{touched.rawRecords.firstSourceIds.join(", ")}</span>
                {touched.rawRecords.count > touched.rawRecords.firstSourceIds.length && ` and ${(touched.rawRecords.count - touched.rawRecords.firstSourceIds.length).toLocaleString("en-US")} more`}
              </p>
            </div>
          )}
          {touched.postings && (
            <>
              <p className="mb-2 text-sm text-slate-800">
                {touched.postings.count === 0 ? "Tried no posting." : `Tried ${touched.postings.count.toLocaleString("en-US")} postings: `}
                {touched.postings.count > 0 &&
                  `${Object.entries(touched.postings.byOutcome)
                    .map(([o, n]) => `${n.toLocaleString("en-US")} ${(OUTCOME[o]?.label ?? o).toLowerCase()}`)
                    .join(", ")}.`}
                {touched.postings.hiddenByScope > 0 && ` ${touched.postings.hiddenByScope} of them are outside the legal entities and regions you may see.`}
                {touched.postings.items.length < touched.postings.count - touched.postings.hiddenByScope && ` The first ${touched.postings.items.length} are listed.`}
              </p>
              {touched.postings.items.length > 0 && (
                <div className="max-h-[28rem] overflow-auto">
                  <Table aria-label="Postings tried in this run">
                    <thead>
                      <tr>
                        <Th>Entry</Th>
                        <Th>Entity</Th>
                        <Th className="text-right">Hours</Th>
                        <Th>Outcome in this run</Th>
                        <Th className="text-right">Attempts</Th>
                        <Th className="text-right">Last call</Th>
                        <Th>Error</Th>
                        <Th>Now</Th>
                      </tr>
                    </thead>
                    <tbody>
                      {touched.postings.items.map((p) => (
                        <tr key={p.postingId}>
                          <Td className="font-mono text-[11px] whitespace-nowrap">
                            {p.sourceId ?? "—"}
                            {p.kind === "reverse" && <span className="ml-1 font-sans text-slate-500">(reversal)</span>}
                          </Td>
                          <Td className="text-xs">{p.legalEntityCode ?? "—"}</Td>
                          <Td className="text-right text-xs tabular-nums">{p.hours ? formatHoursValue(p.hours) : "—"}</Td>
                          <Td>
                            <Badge tone={OUTCOME[p.outcome]?.tone ?? "neutral"}>{OUTCOME[p.outcome]?.label ?? p.outcome}</Badge>
                          </Td>
                          <Td className="text-right text-xs tabular-nums">{p.attempts}</Td>
                          <Td className="text-right text-xs whitespace-nowrap tabular-nums">{formatDuration(p.lastDurationMs)}</Td>
                          <Td className="max-w-md text-xs break-words text-red-800">
                            {p.error ? `${p.httpStatus ? `HTTP ${p.httpStatus}: ` : ""}${p.error}` : <span className="text-slate-400">—</span>}
                          </Td>
                          <Td className="text-xs whitespace-nowrap text-slate-600">{POSTING_STATUS[p.statusNow] ?? p.statusNow}</Td>
                        </tr>
                      ))}
                    </tbody>
                  </Table>
                </div>
              )}
            </>
          )}
        </Section>
      </div>

      <div className="mt-4">
        <section aria-labelledby="logs-h" className="rounded-lg border border-slate-200 bg-white p-4">
          <div className="mb-3 flex flex-wrap items-end justify-between gap-2">
            <h2 id="logs-h" className="text-sm font-semibold text-slate-900">
              Log lines
            </h2>
            <div className="flex items-center gap-2">
              <label htmlFor="log-level" className="text-xs font-medium text-slate-700">
                Show
              </label>
              <Select id="log-level" className="w-60" value={logLevel} onChange={(e) => set({ level: e.target.value === "debug" ? undefined : e.target.value })}>
                {LEVELS.map((l) => (
                  <option key={l} value={l}>
                    {LEVEL_LABEL[l]}
                  </option>
                ))}
              </Select>
            </div>
          </div>
          {lines.length === 0 ? (
            <p className="text-sm text-slate-600">{logLevel === "debug" ? "This run wrote no log lines." : "No log line at this level or above."}</p>
          ) : (
            <ol aria-label="Log lines" className="max-h-[36rem] overflow-auto rounded-md bg-slate-950 p-3 font-mono text-[12px] leading-5">
              {lines.map((l) => (
                <li key={l.id} className="flex gap-3 whitespace-pre-wrap text-slate-200" data-testid="log-line">
                  <span className="shrink-0 text-slate-400">{clock(l.at)}</span>
                  <span className={`w-12 shrink-0 uppercase ${l.level === "error" ? "text-red-400" : l.level === "warn" ? "text-amber-300" : l.level === "info" ? "text-sky-300" : "text-slate-500"}`}>{l.level}</span>
                  <span className="min-w-0 break-words">
                    {l.msg}
                    {Object.keys(l.fields).length > 0 && <span className="text-slate-400"> {fieldsText(l.fields)}</span>}
                  </span>
                </li>
              ))}
            </ol>
          )}
          <div className="mt-2 flex items-center justify-between">
            <span className="text-xs text-slate-600">
              {lines.length.toLocaleString("en-US")} lines shown{q.hasNextPage ? "" : lines.length ? ", to the last" : ""}. Times in UTC.
            </span>
            {q.hasNextPage && (
              <Button variant="secondary" size="sm" onClick={() => void q.fetchNextPage()} disabled={q.isFetchingNextPage}>
                {q.isFetchingNextPage ? "Loading…" : "Load more lines"}
              </Button>
            )}
          </div>
          {q.isFetchNextPageError && (
            <p role="alert" className="mt-2 text-sm text-red-700">
              {errorMessage(q.error)}
            </p>
          )}
        </section>
      </div>
    </>
  );
}

/** key=value pairs, the correlation id left out (the whole page is one correlation id) */
function fieldsText(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .filter(([k]) => k !== "correlationId")
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
}
