"use client";

import { useQuery } from "@tanstack/react-query";
import { RotateCcw } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent } from "@/components/ui/dialog";
import { Table, Td, Th } from "@/components/ui/table";
import { formatDateTime } from "@/lib/format";
import type { MappingSnapshot } from "@/server/db/schema/mappings";
import type { MappingKind } from "@/server/domain/enums";
import type { MappingListItem } from "@/server/services/mappings/list";
import { errorMessage, useTRPC } from "@/trpc/client";
import type { EditorRequest } from "./editor-dialog";

const ACTIONS: Record<string, string> = {
  baseline: "State before history was kept",
  created: "Created",
  changed: "Changed",
  end_dated: "End-dated",
  deactivated: "Deactivated",
  reactivated: "Reactivated",
  restored: "Restored",
  imported: "Imported from a file",
};

const range = (s: MappingSnapshot) => (!s.validFrom && !s.validTo ? "always" : `${s.validFrom ?? "…"} → ${s.validTo ?? "open"}`);

function Diff({ before, after }: { before: MappingSnapshot | null; after: MappingSnapshot }) {
  const rows: [string, string | null, string][] = [
    ["target", before?.targetKey ?? null, after.targetKey],
    ["in effect", before ? range(before) : null, range(after)],
    ["active", before ? (before.active ? "yes" : "no") : null, after.active ? "yes" : "no"],
  ];
  return (
    <ul className="space-y-0.5">
      {rows.map(([k, b, a]) =>
        b === null || b === a ? (
          <li key={k}>
            <span className="text-slate-500">{k}:</span> {a}
          </li>
        ) : (
          <li key={k}>
            <span className="text-slate-500">{k}:</span> <del className="text-red-700">{b}</del> → <ins className="text-emerald-800 no-underline">{a}</ins>
          </li>
        ),
      )}
    </ul>
  );
}

/** Every version of a mapping (who, when, before, after, why), each but the current one restorable. */
export function HistoryDialog({ mapping, kind, onClose, onRestore }: { mapping: MappingListItem | null; kind: MappingKind; onClose: () => void; onRestore: (r: EditorRequest) => void }) {
  const trpc = useTRPC();
  const q = useQuery({ ...trpc.mappings.history.queryOptions({ mappingId: mapping?.id ?? "00000000-0000-0000-0000-000000000000" }), enabled: Boolean(mapping) });
  return (
    <Dialog open={Boolean(mapping)} onOpenChange={(o) => !o && onClose()}>
      {mapping && (
        <DialogContent
          title={`History of ${mapping.sourceCode ?? mapping.sourceName ?? mapping.sourceKey}`}
          description="Every version, newest first. Restoring one saves it as a new version after showing what it will do."
          className="max-h-[calc(100vh-2rem)] w-[min(60rem,calc(100vw-2rem))] overflow-y-auto"
        >
          {q.isPending ? (
            <p role="status" className="text-sm text-slate-600">Loading the history…</p>
          ) : q.isError ? (
            <p role="alert" className="text-sm text-red-700">{errorMessage(q.error)}</p>
          ) : (
            <Table aria-label="Versions of the mapping">
              <thead>
                <tr>
                  <Th>Version</Th>
                  <Th>What</Th>
                  <Th>Who · when (UTC)</Th>
                  <Th>Before → after</Th>
                  <Th>Why</Th>
                  <Th>
                    <span className="sr-only">Actions</span>
                  </Th>
                </tr>
              </thead>
              <tbody>
                {q.data.versions.map((v) => (
                  <tr key={v.version} data-testid="history-version">
                    <Td className="text-xs whitespace-nowrap tabular-nums">
                      v{v.version} {v.current && <Badge tone="info">current</Badge>}
                    </Td>
                    <Td className="text-xs">{ACTIONS[v.action] ?? v.action}</Td>
                    <Td className="text-xs whitespace-nowrap">
                      {v.actorLabel}
                      <div className="text-slate-500">{formatDateTime(v.at).replace(" UTC", "")}</div>
                    </Td>
                    <Td className="text-xs">
                      <Diff before={v.before} after={v.after} />
                    </Td>
                    <Td className="max-w-xs text-xs break-words">{v.reason ?? "—"}</Td>
                    <Td className="text-right">
                      {!v.current && (
                        <Button
                          size="sm"
                          variant="secondary"
                          aria-label={`Restore version ${v.version}`}
                          onClick={() => onRestore({ op: "restore", kind, mapping: q.data.mapping, version: v.version, versionText: `version ${v.version}` })}
                        >
                          <RotateCcw className="size-3.5" aria-hidden /> Restore…
                        </Button>
                      )}
                    </Td>
                  </tr>
                ))}
              </tbody>
            </Table>
          )}
        </DialogContent>
      )}
    </Dialog>
  );
}
