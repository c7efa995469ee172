"use client";

import { useSuspenseQuery } from "@tanstack/react-query";
import { ChevronRight, ChevronsLeft } from "lucide-react";
import { useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Input, Select } from "@/components/ui/field";
import { PageHeader } from "@/components/ui/page-header";
import { Table, Td, Th } from "@/components/ui/table";
import { formatDateTime } from "@/lib/format";
import { useUrlState } from "@/lib/url-state";
import { useTRPC } from "@/trpc/client";
import { auditFilterFromParams } from "./filters";

/** What changed between before and after, one line per field. */
function changes(before: unknown, after: unknown): { field: string; from: string; to: string }[] {
  const b = (before && typeof before === "object" ? before : {}) as Record<string, unknown>;
  const a = (after && typeof after === "object" ? after : {}) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
  const show = (v: unknown) => (v === undefined ? "—" : Array.isArray(v) ? v.join(", ") || "none" : typeof v === "object" && v !== null ? JSON.stringify(v) : String(v));
  return keys
    .filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k]))
    .map((k) => ({ field: k, from: show(b[k]), to: show(a[k]) }));
}

function actionTone(action: string) {
  if (action.endsWith("_failed") || action.endsWith("_throttled") || action.endsWith(".disable")) return "danger" as const;
  if (action.startsWith("auth.")) return "neutral" as const;
  return "info" as const;
}

export function AuditView() {
  const trpc = useTRPC();
  const { params, set } = useUrlState();
  const filter = auditFilterFromParams(params);
  const { data } = useSuspenseQuery(trpc.audit.list.queryOptions(filter));
  const { data: facets } = useSuspenseQuery(trpc.audit.facets.queryOptions());
  const [actor, setActor] = useState(params.get("actor") ?? "");
  const [entityId, setEntityId] = useState(params.get("entityId") ?? "");

  return (
    <>
      <PageHeader
        title="Audit log"
        description="Every change, sign-in and sign-out, newest first. Entries cannot be edited or deleted, not even by an admin."
      />
      <form
        role="search"
        aria-label="Filter the audit log"
        className="mb-3 flex flex-wrap items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          set({ actor, entityId, cursor: undefined });
        }}
      >
        <div>
          <label htmlFor="f-actor" className="block text-xs font-medium text-slate-700">Actor</label>
          <Input id="f-actor" className="w-52" placeholder="e-mail or system:…" value={actor} onChange={(e) => setActor(e.target.value)} />
        </div>
        <div>
          <label htmlFor="f-action" className="block text-xs font-medium text-slate-700">Action</label>
          <Select id="f-action" className="w-52" value={params.get("action") ?? ""} onChange={(e) => set({ action: e.target.value, cursor: undefined })}>
            <option value="">Any action</option>
            {facets.actions.map((a) => (
              <option key={a} value={a}>{a}</option>
            ))}
          </Select>
        </div>
        <div>
          <label htmlFor="f-entity" className="block text-xs font-medium text-slate-700">Entity</label>
          <Select id="f-entity" className="w-36" value={params.get("entity") ?? ""} onChange={(e) => set({ entity: e.target.value, cursor: undefined })}>
            <option value="">Any entity</option>
            {facets.entityTypes.map((t) => (
              <option key={t} value={t}>{t}</option>
            ))}
          </Select>
        </div>
        <div>
          <label htmlFor="f-entity-id" className="block text-xs font-medium text-slate-700">Entity id</label>
          <Input id="f-entity-id" className="w-44" value={entityId} onChange={(e) => setEntityId(e.target.value)} />
        </div>
        <div>
          <label htmlFor="f-from" className="block text-xs font-medium text-slate-700">From (UTC day)</label>
          <Input id="f-from" type="date" className="w-40" value={params.get("from") ?? ""} onChange={(e) => set({ from: e.target.value, cursor: undefined })} />
        </div>
        <div>
          <label htmlFor="f-to" className="block text-xs font-medium text-slate-700">To (UTC day)</label>
          <Input id="f-to" type="date" className="w-40" value={params.get("to") ?? ""} onChange={(e) => set({ to: e.target.value, cursor: undefined })} />
        </div>
        <Button type="submit" variant="secondary">Apply</Button>
        <Button
          variant="ghost"
          onClick={() => {
            setActor("");
            setEntityId("");
            set({ actor: undefined, action: undefined, entity: undefined, entityId: undefined, from: undefined, to: undefined, cursor: undefined });
          }}
        >
          Clear
        </Button>
      </form>

      <Table aria-label="Audit log entries">
        <thead>
          <tr>
            <Th>When</Th>
            <Th>Actor</Th>
            <Th>Action</Th>
            <Th>Entity</Th>
            <Th>What changed</Th>
            <Th>Correlation</Th>
          </tr>
        </thead>
        <tbody>
          {data.items.length === 0 && (
            <tr>
              <Td colSpan={6} className="py-6 text-center text-slate-600">No audit entry matches these filters.</Td>
            </tr>
          )}
          {data.items.map((row) => {
            const diff = changes(row.before, row.after);
            return (
              <tr key={row.id}>
                <Td className="text-xs whitespace-nowrap">{formatDateTime(row.at)}</Td>
                <Td className="text-xs">
                  <div className="font-medium text-slate-900">{row.actorLabel}</div>
                  {row.actorRoles.length > 0 && <div className="text-slate-600">{row.actorRoles.join(", ")}</div>}
                  {row.ip && <div className="text-slate-600">from {row.ip}</div>}
                </Td>
                <Td>
                  <Badge tone={actionTone(row.action)}>{row.action}</Badge>
                </Td>
                <Td className="text-xs">
                  <div>
                    {row.entityType}
                    {row.entityLabel && <span className="text-slate-600"> · {row.entityLabel}</span>}
                  </div>
                  {row.entityId && (
                    <button
                      type="button"
                      className="font-mono text-[11px] text-brand-700 hover:underline"
                      title="Show only this entity's history"
                      onClick={() => {
                        setEntityId(row.entityId ?? "");
                        set({ entity: row.entityType, entityId: row.entityId, cursor: undefined });
                      }}
                    >
                      {row.entityId}
                    </button>
                  )}
                </Td>
                <Td className="text-xs">
                  {diff.length === 0 ? (
                    <span className="text-slate-500">—</span>
                  ) : (
                    <dl className="grid grid-cols-[auto_1fr] gap-x-2">
                      {diff.map((d) => (
                        <div key={d.field} className="contents">
                          <dt className="font-medium text-slate-700">{d.field}</dt>
                          <dd className="max-w-md text-slate-800 [overflow-wrap:anywhere]">
                            {row.before ? (
                              <>
                                <span className="text-slate-500 line-through">{d.from}</span> → {d.to}
                              </>
                            ) : (
                              d.to
                            )}
                          </dd>
                        </div>
                      ))}
                    </dl>
                  )}
                </Td>
                <Td className="font-mono text-[11px] text-slate-600">{row.correlationId.slice(0, 8)}</Td>
              </tr>
            );
          })}
        </tbody>
      </Table>
      <div className="mt-3 flex items-center justify-between text-sm">
        <span className="text-xs text-slate-600">
          {data.items.length > 0 ? `Showing ${data.items.length} entries${filter.cursor ? " (older page)" : ""}` : ""}
        </span>
        <div className="flex gap-2">
          {filter.cursor && (
            <Button variant="secondary" size="sm" onClick={() => set({ cursor: undefined })}>
              <ChevronsLeft className="size-4" aria-hidden /> Newest
            </Button>
          )}
          <Button
            variant="secondary"
            size="sm"
            disabled={!data.nextCursor}
            onClick={() => set({ cursor: data.nextCursor ? String(data.nextCursor) : undefined })}
          >
            Older <ChevronRight className="size-4" aria-hidden />
          </Button>
        </div>
      </div>
    </>
  );
}
