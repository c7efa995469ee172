"use client";

import { useMutation } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { Dialog, DialogClose, DialogContent } from "@/components/ui/dialog";
import { Field, Input, Select } from "@/components/ui/field";
import { OWNER_LABELS } from "@/lib/exception-labels";
import { ALERT_CONDITIONS, ALERT_CONDITION_LIST, type AlertCondition } from "@/server/services/alerts/catalog";
import type { OwnerTeam } from "@/server/domain/enums";
import { errorMessage, useTRPC } from "@/trpc/client";
import type { RuleRow } from "./alerts-view";

type FieldName = "ownerTeam" | "name" | "condition" | "threshold" | "webhookUrl" | "webhookSecret";
type FieldErrors = Partial<Record<FieldName, string>>;

/** The server's per-field messages: zod's (bad shape) or a domain error's (e.g. a name already taken). */
function fieldErrorsOf(err: unknown): FieldErrors {
  if (!(err instanceof TRPCClientError)) return {};
  const data = err.data as { fieldErrors?: Record<string, string[]>; details?: { fieldErrors?: Record<string, string[]> } } | undefined;
  const raw = data?.fieldErrors ?? data?.details?.fieldErrors ?? {};
  const sentence = (m: string | undefined) => (m ? m.charAt(0).toUpperCase() + m.slice(1) : m);
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, sentence(v?.[0])])) as FieldErrors;
}

/** Create or edit one rule. The signing secret is write-only: editing shows whether one is set and replaces it only when a new one is typed. */
export function RuleDialog({
  rule,
  teams,
  reportingCurrency,
  onClose,
  onSaved,
}: {
  rule: RuleRow | "new" | null;
  teams: readonly OwnerTeam[];
  reportingCurrency: string;
  onClose: () => void;
  onSaved: () => Promise<unknown>;
}) {
  const trpc = useTRPC();
  const existing = rule && rule !== "new" ? rule : null;
  const [ownerTeam, setOwnerTeam] = useState<OwnerTeam>(existing?.ownerTeam ?? teams[0] ?? "finance");
  const [name, setName] = useState(existing?.name ?? "");
  const [condition, setCondition] = useState<AlertCondition>(existing?.condition ?? "value_blocked_over");
  const [threshold, setThreshold] = useState(existing?.threshold ?? "");
  const [webhookUrl, setWebhookUrl] = useState(existing?.webhookUrl ?? "");
  const [webhookSecret, setWebhookSecret] = useState("");
  const [local, setLocal] = useState<FieldErrors>({});

  const done = async () => {
    await onSaved();
    onClose();
  };
  const create = useMutation(trpc.alerts.createRule.mutationOptions({ onSuccess: done }));
  const update = useMutation(trpc.alerts.updateRule.mutationOptions({ onSuccess: done }));
  const saving = create.isPending || update.isPending;
  const error = create.error ?? update.error;
  const server = fieldErrorsOf(error);
  const errors: FieldErrors = { ...server, ...local };
  const shownAbove = error && Object.keys(server).length === 0 ? errorMessage(error) : null;

  const kind = ALERT_CONDITIONS[condition].threshold;
  const secretSet = Boolean(existing?.webhookSecretSet && existing.webhookUrl);

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const problems: FieldErrors = {};
    if (!name.trim()) problems.name = "Give the rule a name, e.g. “Finance — blocked over 50k”.";
    const t = threshold.replace(/[,\s]/g, "");
    if (kind !== "none" && !t) problems.threshold = kind === "amount" ? `Give an amount in ${reportingCurrency}, e.g. 50000.` : "Give a number of exceptions, e.g. 25.";
    if (webhookUrl.trim() && !webhookSecret && !secretSet) problems.webhookSecret = "A webhook needs a signing secret, so the receiver can tell the call is ours.";
    setLocal(problems);
    if (Object.keys(problems).length) return;
    const url = webhookUrl.trim() || null;
    const fields = { ownerTeam, name: name.trim(), condition, threshold: kind === "none" ? null : t, webhookUrl: url };
    // without a webhook there is nothing to sign: a secret typed before the URL was cleared is not sent
    const secret = url && webhookSecret ? webhookSecret : null;
    if (existing) update.mutate({ id: existing.id, expectedVersion: existing.version, ...fields, ...(secret && { webhookSecret: secret }) });
    else create.mutate({ ...fields, webhookSecret: secret });
  };

  const close = () => {
    create.reset();
    update.reset();
    onClose();
  };

  return (
    <Dialog open={rule !== null} onOpenChange={(o) => !o && close()}>
      {rule !== null && (
        <DialogContent
          title={existing ? `Edit "${existing.name}"` : "New alert rule"}
          description="The rule notifies the team once when its condition becomes true, and again only after it has cleared."
          className="w-[min(36rem,calc(100vw-2rem))]"
        >
          <form onSubmit={submit} noValidate className="space-y-3" aria-label={existing ? "Edit alert rule" : "New alert rule"}>
            {shownAbove && (
              <p role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
                {shownAbove}
              </p>
            )}
            <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
              <Field label="Team" error={errors.ownerTeam} hint="Whose open exceptions the rule watches, and who is notified.">
                {(p) => (
                  <Select {...p} value={ownerTeam} onChange={(e) => setOwnerTeam(e.target.value as OwnerTeam)}>
                    {teams.map((t) => (
                      <option key={t} value={t}>
                        {OWNER_LABELS[t]}
                      </option>
                    ))}
                  </Select>
                )}
              </Field>
              <Field label="Name" error={errors.name}>
                {(p) => <Input {...p} value={name} maxLength={80} onChange={(e) => setName(e.target.value)} placeholder="Blocked over 50k" />}
              </Field>
              <Field label="Condition" error={errors.condition} hint={`Fires when ${ALERT_CONDITIONS[condition].describe}.`}>
                {(p) => (
                  <Select {...p} value={condition} onChange={(e) => setCondition(e.target.value as AlertCondition)}>
                    {ALERT_CONDITION_LIST.map((c) => (
                      <option key={c} value={c}>
                        {ALERT_CONDITIONS[c].label}
                      </option>
                    ))}
                  </Select>
                )}
              </Field>
              {kind !== "none" ? (
                <Field
                  label={kind === "amount" ? `Threshold (${reportingCurrency})` : "Threshold (open exceptions)"}
                  error={errors.threshold}
                  hint={kind === "amount" ? "Fires when the value blocked is over this amount." : "Fires when more exceptions than this are open."}
                >
                  {(p) => <Input {...p} inputMode={kind === "amount" ? "decimal" : "numeric"} value={threshold} onChange={(e) => setThreshold(e.target.value)} placeholder={kind === "amount" ? "50000" : "25"} />}
                </Field>
              ) : (
                <p className="self-end pb-1 text-xs text-slate-600">No threshold: each code&apos;s SLA (configured, or its severity&apos;s default) decides.</p>
              )}
            </div>
            <fieldset className="space-y-3 rounded-md border border-slate-200 px-3 pt-1 pb-3">
              <legend className="px-1 text-xs font-medium text-slate-700">Webhook (optional)</legend>
              <Field label="Webhook URL" error={errors.webhookUrl} hint="An https:// address that receives a signed POST each time the rule fires.">
                {(p) => <Input {...p} type="url" value={webhookUrl} onChange={(e) => setWebhookUrl(e.target.value)} placeholder="https://hooks.example.com/hourbridge" />}
              </Field>
              <Field
                label="Signing secret"
                error={errors.webhookSecret}
                hint={secretSet ? "A secret is set. Leave this empty to keep it, or type a new one to replace it." : "At least 16 characters; the receiver uses it to check the X-Hourbridge-Signature header."}
              >
                {(p) => (
                  <Input
                    {...p}
                    type="password"
                    autoComplete="new-password"
                    value={webhookSecret}
                    onChange={(e) => setWebhookSecret(e.target.value)}
                    placeholder={secretSet ? "•••••••• (set)" : ""}
                    disabled={!webhookUrl.trim()}
                  />
                )}
              </Field>
            </fieldset>
            <div className="flex justify-end gap-2">
              <DialogClose asChild>
                <Button variant="secondary">Cancel</Button>
              </DialogClose>
              <Button type="submit" disabled={saving}>
                {saving ? "Saving…" : existing ? "Save changes" : "Create rule"}
              </Button>
            </div>
          </form>
        </DialogContent>
      )}
    </Dialog>
  );
}
