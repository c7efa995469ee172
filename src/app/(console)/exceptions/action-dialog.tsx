"use client";

import { useState } from "react";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent } from "@/components/ui/dialog";
import { Field, Input, Select } from "@/components/ui/field";
import type { ExceptionAction } from "@/server/services/exceptions/act";
import type { OwnerTeam } from "@/server/domain/enums";

export type ActionKind = ExceptionAction["action"];

export const ACTION_LABEL: Record<ActionKind, string> = {
  assign: "Assign",
  unassign: "Unassign",
  comment: "Comment",
  retry: "Retry now",
  resolve: "Resolve",
  ignore: "Ignore",
  reopen: "Reopen",
};

const INTRO: Record<ActionKind, string> = {
  assign: "The person is told nothing automatically; the queue's “My open” view shows it to them.",
  unassign: "Nobody will own it until someone takes it.",
  comment: "Comments stay in the exception's history.",
  retry: "Re-checks the blocked entries with today's mappings and master data; those that pass are posted to the ERP. Refused or failed postings are replayed under their idempotency key.",
  resolve: "Say what was done. If validation still fails for its entries, the next validation run reopens it.",
  ignore: "Ignored exceptions leave the open queue but their entries stay blocked. Give an end date to have it come back.",
  reopen: "Puts it back in the open queue.",
};

export type Assignee = { id: string; name: string; email: string; teams: OwnerTeam[] };

/**
 * The form behind each action: a reason for resolve and ignore (required), an end date for
 * ignore, a person for assign, a text for comment; a confirmation otherwise. `count` > 1
 * phrases it for a bulk action.
 */
export function ActionDialog({
  kind,
  count,
  teams,
  assignees,
  pending,
  error,
  onClose,
  onSubmit,
}: {
  kind: ActionKind | null;
  count: number;
  /** the owner teams of what is selected: who can be assigned */
  teams: OwnerTeam[];
  assignees: Assignee[];
  pending: boolean;
  error: string | null;
  onClose: () => void;
  onSubmit: (act: ExceptionAction) => void;
}) {
  const [reason, setReason] = useState("");
  const [until, setUntil] = useState("");
  const [assigneeId, setAssigneeId] = useState("");
  const [text, setText] = useState("");
  const [touched, setTouched] = useState(false);
  const eligible = assignees.filter((a) => teams.every((t) => a.teams.includes(t)));

  const reasonError = (kind === "resolve" || kind === "ignore") && touched && reason.trim().length < 3 ? `A reason is required to ${kind} (at least 3 characters).` : null;
  const assigneeError = kind === "assign" && touched && !assigneeId ? "Choose who takes it." : null;
  const textError = kind === "comment" && touched && !text.trim() ? "Write the comment first." : null;

  const reset = () => {
    setReason("");
    setUntil("");
    setAssigneeId("");
    setText("");
    setTouched(false);
  };
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (!kind) return;
    switch (kind) {
      case "resolve":
        if (reason.trim().length < 3) return;
        return onSubmit({ action: "resolve", reason: reason.trim() });
      case "ignore":
        if (reason.trim().length < 3) return;
        return onSubmit({ action: "ignore", reason: reason.trim(), ...(until && { until }) });
      case "assign":
        if (!assigneeId) return;
        return onSubmit({ action: "assign", assigneeId });
      case "comment":
        if (!text.trim()) return;
        return onSubmit({ action: "comment", text: text.trim() });
      case "reopen":
        return onSubmit({ action: "reopen", ...(reason.trim() && { reason: reason.trim() }) });
      default:
        return onSubmit({ action: kind });
    }
  };

  const what = count === 1 ? "this exception" : `${count.toLocaleString("en-US")} exceptions`;
  return (
    <Dialog
      open={kind !== null}
      onOpenChange={(o) => {
        if (!o) {
          reset();
          onClose();
        }
      }}
    >
      {kind && (
        <DialogContent title={`${ACTION_LABEL[kind]} ${what}`} description={INTRO[kind]}>
          <form onSubmit={submit} className="space-y-3" noValidate>
            {(kind === "resolve" || kind === "ignore" || kind === "reopen") && (
              <Field label={kind === "reopen" ? "Reason (optional)" : "Reason"} error={reasonError}>
                {(p) => <textarea {...p} className="min-h-20 w-full rounded-md border border-slate-300 px-2.5 py-1.5 text-sm aria-[invalid=true]:border-red-500" value={reason} onChange={(e) => setReason(e.target.value)} maxLength={2000} required={kind !== "reopen"} />}
              </Field>
            )}
            {kind === "ignore" && (
              <Field label="Ignore until (optional)" hint="It reopens on that day if its entries are still blocked.">
                {(p) => <Input {...p} type="date" value={until} onChange={(e) => setUntil(e.target.value)} min={new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)} />}
              </Field>
            )}
            {kind === "assign" && (
              <Field label="Assign to" error={assigneeError} hint={eligible.length === 0 ? "Nobody acts for all the selected teams: select exceptions of one team." : undefined}>
                {(p) => (
                  <Select {...p} value={assigneeId} onChange={(e) => setAssigneeId(e.target.value)}>
                    <option value="">Choose a person…</option>
                    {eligible.map((a) => (
                      <option key={a.id} value={a.id}>
                        {a.name} ({a.email})
                      </option>
                    ))}
                  </Select>
                )}
              </Field>
            )}
            {kind === "comment" && (
              <Field label="Comment" error={textError}>
                {(p) => <textarea {...p} className="min-h-20 w-full rounded-md border border-slate-300 px-2.5 py-1.5 text-sm aria-[invalid=true]:border-red-500" value={text} onChange={(e) => setText(e.target.value)} maxLength={4000} />}
              </Field>
            )}
            {count > 1 && <p className="text-xs text-slate-600">Runs on the server as one job; you can follow its progress. Exceptions someone changed meanwhile are skipped and listed.</p>}
            {error && (
              <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
                {error}
              </p>
            )}
            <div className="flex justify-end gap-2">
              <Button variant="secondary" onClick={() => { reset(); onClose(); }}>
                Cancel
              </Button>
              <Button type="submit" variant={kind === "ignore" ? "danger" : "primary"} disabled={pending}>
                {pending ? "Working…" : `${ACTION_LABEL[kind]}${count > 1 ? ` ${count.toLocaleString("en-US")}` : ""}`}
              </Button>
            </div>
          </form>
        </DialogContent>
      )}
    </Dialog>
  );
}
