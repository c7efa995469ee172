"use client";

import { useMutation } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { Dialog, DialogClose, DialogContent } from "@/components/ui/dialog";
import { Field, Input } from "@/components/ui/field";
import type { ConnectorOverview } from "@/server/services/sync/overview";
import { errorMessage, useTRPC } from "@/trpc/client";
import { SCHEDULE_LABEL } from "./format";

type DialogProps = { c: ConnectorOverview; open: boolean; onClose: () => void; onDone: (notice: string) => void };
type FieldErrors = Record<string, string[] | undefined>;

/**
 * The server's per-field messages, by field name (nested ones also by their last part): from
 * refused input, or from a refusal whose sentence starts with the field ("token: enter …").
 */
function fieldErrorsOf(err: unknown): FieldErrors {
  if (!(err instanceof TRPCClientError)) return {};
  const data = err.data as { fieldErrors?: FieldErrors; details?: { fieldErrors?: FieldErrors } } | undefined;
  const out: FieldErrors = { ...(data?.fieldErrors ?? {}), ...(data?.details?.fieldErrors ?? {}) };
  if (Object.keys(out).length === 0) {
    for (const part of err.message.split("; ")) {
      const m = /^([a-zA-Z]+(?:\.[a-zA-Z]+)?): (.+)$/.exec(part);
      if (m) (out[m[1]!] ??= []).push(m[2]!);
    }
  }
  for (const [k, v] of Object.entries(out)) if (k.includes(".")) out[k.split(".").pop()!] ??= v;
  return out;
}
const first = (errs: FieldErrors, ...keys: string[]) => keys.map((k) => errs[k]?.[0]).find(Boolean) ?? null;

/** A dialog holding one form: the server's message on top when it refuses, Cancel and the verb below. */
function FormDialog({
  open,
  onClose,
  title,
  description,
  error,
  pending,
  submitLabel,
  danger,
  onSubmit,
  children,
}: {
  open: boolean;
  onClose: () => void;
  title: string;
  description?: string;
  error: unknown;
  pending: boolean;
  submitLabel: string;
  danger?: boolean;
  onSubmit: () => void;
  children: React.ReactNode;
}) {
  return (
    <Dialog open={open} onOpenChange={(o) => !o && onClose()}>
      {open && (
        <DialogContent title={title} description={description}>
          <form
            noValidate
            className="space-y-3"
            onSubmit={(e) => {
              e.preventDefault();
              onSubmit();
            }}
          >
            {error != null && (
              <div role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
                {errorMessage(error)}
              </div>
            )}
            {children}
            <div className="flex justify-end gap-2 pt-1">
              <DialogClose asChild>
                <Button variant="secondary">Cancel</Button>
              </DialogClose>
              <Button type="submit" variant={danger ? "danger" : "primary"} disabled={pending}>
                {pending ? "Saving…" : submitLabel}
              </Button>
            </div>
          </form>
        </DialogContent>
      )}
    </Dialog>
  );
}

export function PauseDialog({ c, open, onClose, onDone }: DialogProps) {
  const trpc = useTRPC();
  const [reason, setReason] = useState("");
  const [missing, setMissing] = useState(false);
  const pause = useMutation(trpc.connectors.pause.mutationOptions({ onSuccess: () => onDone(`${c.name} paused; nothing runs until it is resumed.`) }));
  const close = onClose;
  const errs = fieldErrorsOf(pause.error);
  return (
    <FormDialog
      open={open}
      onClose={close}
      title={`Pause ${c.name}?`}
      description={
        c.role === "erp"
          ? "No posting is sent and no scheduled or manual run starts until you resume it. Postings wait in the outbox; nothing is lost."
          : "No pull runs, scheduled or manual, until you resume it. The next pull after resuming picks up from where it stopped."
      }
      error={pause.error && !first(errs, "reason") ? pause.error : null}
      pending={pause.isPending}
      submitLabel="Pause connector"
      danger
      onSubmit={() => {
        if (!reason.trim()) return setMissing(true);
        pause.mutate({ connectorId: c.id, reason: reason.trim() });
      }}
    >
      <Field label="Reason" hint="Shown on this page and kept in the audit log." error={missing ? "Say why you pause it." : first(errs, "reason")}>
        {(p) => <Input {...p} value={reason} maxLength={500} autoFocus onChange={(e) => (setReason(e.target.value), setMissing(false))} />}
      </Field>
    </FormDialog>
  );
}

/** the schedules a connector has, with the setting each is saved under */
const SCHEDULE_FIELDS: Record<ConnectorOverview["role"], { name: string; key: "scheduleCron" | "fullWalk" | "masterData" | "readBack" }[]> = {
  source: [
    { name: "pull", key: "scheduleCron" },
    { name: "fullWalk", key: "fullWalk" },
  ],
  erp: [
    { name: "post", key: "scheduleCron" },
    { name: "masterData", key: "masterData" },
    { name: "readBack", key: "readBack" },
  ],
};

export function ScheduleDialog({ c, open, onClose, onDone }: DialogProps) {
  const trpc = useTRPC();
  // the configuration as the page read it: the server refuses the edit if someone changed it since
  const [version] = useState(c.updatedAt);
  const initial = () => Object.fromEntries(SCHEDULE_FIELDS[c.role].map((f) => [f.key, c.schedules.find((s) => s.name === f.name)?.cron ?? ""]));
  const [start] = useState(initial);
  const [values, setValues] = useState<Record<string, string>>(start);
  const save = useMutation(trpc.connectors.updateSchedule.mutationOptions({ onSuccess: () => onDone(`Schedule of ${c.name} saved.`) }));
  const close = onClose;
  const errs = fieldErrorsOf(save.error);
  const fields = SCHEDULE_FIELDS[c.role];
  return (
    <FormDialog
      open={open}
      onClose={close}
      title={`Schedule of ${c.name}`}
      description="Five-field cron expressions in UTC (minute hour day month weekday), e.g. */5 * * * * for every five minutes. Leave one empty to turn it off."
      error={save.error && !fields.some((f) => first(errs, f.key)) ? save.error : null}
      pending={save.isPending}
      submitLabel="Save schedule"
      onSubmit={() => {
        // only what was changed: a default left alone stays a default
        const before = start;
        const changed = Object.fromEntries(fields.flatMap((f) => ((values[f.key] ?? "").trim() !== (before[f.key] ?? "").trim() ? [[f.key, (values[f.key] ?? "").trim()]] : [])));
        if (Object.keys(changed).length === 0) return onDone(`Schedule of ${c.name} unchanged.`);
        save.mutate({ connectorId: c.id, expectedUpdatedAt: version, ...changed });
      }}
    >
      {fields.map((f) => (
        <Field key={f.key} label={SCHEDULE_LABEL[f.name] ?? f.name} error={first(errs, f.key)}>
          {(p) => (
            <Input {...p} className="font-mono" value={values[f.key] ?? ""} placeholder="off" onChange={(e) => setValues((v) => ({ ...v, [f.key]: e.target.value }))} />
          )}
        </Field>
      ))}
    </FormDialog>
  );
}

const POSTING_FIELDS = [
  { key: "maxAttempts", label: "Attempts before dead-lettering", hint: "1–100" },
  { key: "baseDelayMs", label: "First retry delay (ms)", hint: "doubles each attempt, with jitter" },
  { key: "maxDelayMs", label: "Longest retry delay (ms)", hint: "up to 86,400,000 (a day)" },
  { key: "batchSize", label: "Postings per batch", hint: "1–1000" },
  { key: "leaseSeconds", label: "Sender lease (s)", hint: "before another worker may take a posting over" },
] as const;
type PostingKey = (typeof POSTING_FIELDS)[number]["key"];

/** empty = back to the default (null); anything else is sent as typed, for the server to judge */
const toNumber = (s: string) => (s.trim() === "" ? null : Number(s));

export function LimitsDialog({ c, open, onClose, onDone }: DialogProps) {
  const trpc = useTRPC();
  // the configuration as the page read it: the server refuses the edit if someone changed it since
  const [version] = useState(c.updatedAt);
  const posting = (c.settings.posting ?? {}) as Partial<Record<PostingKey, number>>;
  const initial = (): Record<string, string> => ({
    concurrency: c.settings.concurrency == null ? "" : String(c.settings.concurrency),
    ...Object.fromEntries(POSTING_FIELDS.map((f) => [f.key, posting[f.key] == null ? "" : String(posting[f.key])])),
  });
  const [start] = useState(initial);
  const [values, setValues] = useState<Record<string, string>>(start);
  const save = useMutation(trpc.connectors.updateLimits.mutationOptions({ onSuccess: () => onDone(`Limits of ${c.name} saved.`) }));
  const close = onClose;
  const errs = fieldErrorsOf(save.error);
  const erp = c.role === "erp";
  const keys = ["concurrency", ...(erp ? POSTING_FIELDS.map((f) => f.key) : [])];
  return (
    <FormDialog
      open={open}
      onClose={close}
      title={`Limits of ${c.name}`}
      description={erp ? "How hard the outbox presses on the ERP. Empty fields keep the engine's defaults." : "How many requests the connector makes at once."}
      error={save.error && !keys.some((k) => first(errs, k)) ? save.error : null}
      pending={save.isPending}
      submitLabel="Save limits"
      onSubmit={() => {
        // only what was changed; a field emptied puts the engine's default back
        const before = start;
        const changed = (k: string) => (values[k] ?? "").trim() !== (before[k] ?? "").trim();
        const posting = Object.fromEntries(POSTING_FIELDS.filter((f) => changed(f.key)).map((f) => [f.key, toNumber(values[f.key] ?? "")]));
        if (!changed("concurrency") && Object.keys(posting).length === 0) return onDone(`Limits of ${c.name} unchanged.`);
        save.mutate({
          connectorId: c.id,
          expectedUpdatedAt: version,
          ...(changed("concurrency") && { concurrency: toNumber(values.concurrency ?? "") }),
          ...(erp && Object.keys(posting).length > 0 && { posting }),
        });
      }}
    >
      <Field label="Concurrency (requests at a time)" hint={`1–32; empty for the default (now ${c.limits.concurrency})`} error={first(errs, "concurrency")}>
        {(p) => <Input {...p} type="number" inputMode="numeric" min={1} max={32} placeholder="default" value={values.concurrency ?? ""} onChange={(e) => setValues((v) => ({ ...v, concurrency: e.target.value }))} />}
      </Field>
      {erp && (
        <div className="grid grid-cols-2 gap-3">
          {POSTING_FIELDS.map((f) => (
            <Field key={f.key} label={f.label} hint={f.hint} error={first(errs, f.key, `posting.${f.key}`)}>
              {(p) => (
                <Input {...p} type="number" inputMode="numeric" min={0} placeholder="default" value={values[f.key] ?? ""} onChange={(e) => setValues((v) => ({ ...v, [f.key]: e.target.value }))} />
              )}
            </Field>
          ))}
        </div>
      )}
    </FormDialog>
  );
}

export function EndpointDialog({ c, open, onClose, onDone }: DialogProps) {
  const trpc = useTRPC();
  // the configuration as the page read it: the server refuses the edit if someone changed it since
  const [version] = useState(c.updatedAt);
  const initial = () => ({ baseUrl: c.baseUrl, accountId: c.accountId ?? "", token: "" });
  const [values, setValues] = useState(initial);
  const save = useMutation(
    trpc.connectors.updateEndpoint.mutationOptions({ onSuccess: () => onDone(`Endpoint of ${c.name} saved; the connection was tested first.`) }),
  );
  const close = onClose;
  const errs = fieldErrorsOf(save.error);
  return (
    <FormDialog
      open={open}
      onClose={close}
      title={`Endpoint of ${c.name}`}
      description="The connection is tested with these settings before anything is saved; if it fails, nothing changes and you see why."
      error={save.error && !first(errs, "baseUrl", "accountId", "token") ? save.error : null}
      pending={save.isPending}
      submitLabel="Test and save"
      onSubmit={() =>
        save.mutate({
          connectorId: c.id,
          expectedUpdatedAt: version,
          baseUrl: values.baseUrl.trim(),
          accountId: values.accountId.trim(),
          ...(values.token ? { token: values.token } : {}),
        })
      }
    >
      <Field label="Base URL" error={first(errs, "baseUrl")}>
        {(p) => <Input {...p} className="font-mono" type="url" value={values.baseUrl} onChange={(e) => setValues((v) => ({ ...v, baseUrl: e.target.value }))} />}
      </Field>
      <Field label="Account" error={first(errs, "accountId")}>
        {(p) => <Input {...p} value={values.accountId} onChange={(e) => setValues((v) => ({ ...v, accountId: e.target.value }))} />}
      </Field>
      <Field
        label="New access token"
        hint={c.hasCredentials ? "A token is stored and is never shown. Leave empty to keep it." : "No token is stored yet."}
        error={first(errs, "token")}
      >
        {(p) => (
          <Input
            {...p}
            type="password"
            autoComplete="new-password"
            placeholder={c.hasCredentials ? "unchanged" : ""}
            value={values.token}
            onChange={(e) => setValues((v) => ({ ...v, token: e.target.value }))}
          />
        )}
      </Field>
    </FormDialog>
  );
}
