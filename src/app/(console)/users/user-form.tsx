"use client";

import { useState } from "react";
import { Button } from "@/components/ui/button";
import { DialogClose } from "@/components/ui/dialog";
import { Field, Input } from "@/components/ui/field";
import { ROLE_LABELS, ROLES, type Role } from "@/server/auth/roles";

export type UserFormValues = {
  name: string;
  email: string;
  password: string;
  roles: Role[];
  entities: string;
  regions: string;
};

export type FieldErrors = Partial<Record<string, string[] | undefined>>;

/** Splits "US01, uk02 ;DE01" into ["US01", "UK02", "DE01"]. */
export function codes(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((c) => c.trim().toUpperCase())
    .filter(Boolean);
}

export function UserForm({
  mode,
  initial,
  submitting,
  error,
  fieldErrors,
  onSubmit,
}: {
  mode: "create" | "edit";
  initial: UserFormValues;
  submitting: boolean;
  error: string | null;
  fieldErrors: FieldErrors;
  onSubmit: (values: UserFormValues) => void;
}) {
  const [v, setV] = useState(initial);
  const fe = (k: string) => fieldErrors[k]?.[0] ?? null;
  return (
    <form
      className="space-y-3"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit(v);
      }}
    >
      {error && (
        <div role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
          {error}
        </div>
      )}
      <Field label="Name" error={fe("name")}>
        {(p) => <Input {...p} value={v.name} onChange={(e) => setV({ ...v, name: e.target.value })} autoFocus />}
      </Field>
      <Field label="E-mail" error={fe("email")} hint={mode === "edit" ? "The e-mail identifies the account and cannot change." : undefined}>
        {(p) => (
          <Input {...p} type="email" value={v.email} disabled={mode === "edit"} onChange={(e) => setV({ ...v, email: e.target.value })} />
        )}
      </Field>
      <Field
        label={mode === "create" ? "Password" : "New password"}
        error={fe("password")}
        hint={mode === "create" ? "At least 12 characters. Leave empty for a single sign-on only account." : "Leave empty to keep the current password."}
      >
        {(p) => (
          <Input {...p} type="password" autoComplete="new-password" value={v.password} onChange={(e) => setV({ ...v, password: e.target.value })} />
        )}
      </Field>
      <fieldset>
        <legend className="text-xs font-medium text-slate-700">Roles</legend>
        <div className="mt-1 grid grid-cols-2 gap-1.5">
          {ROLES.map((r) => (
            <label key={r} className="flex items-center gap-2 text-sm text-slate-800">
              <input
                type="checkbox"
                className="size-4 accent-brand-600"
                checked={v.roles.includes(r)}
                onChange={(e) =>
                  setV({ ...v, roles: e.target.checked ? [...v.roles, r] : v.roles.filter((x) => x !== r) })
                }
              />
              {ROLE_LABELS[r]}
            </label>
          ))}
        </div>
        {fe("roles") && (
          <p className="mt-1 text-xs text-red-700" role="alert">
            {fe("roles")}
          </p>
        )}
      </fieldset>
      <div className="grid grid-cols-2 gap-3">
        <Field label="Legal entities" hint="Codes, comma-separated. Empty: all." error={fe("scope")}>
          {(p) => <Input {...p} value={v.entities} placeholder="e.g. US01, UK01" onChange={(e) => setV({ ...v, entities: e.target.value })} />}
        </Field>
        <Field label="Regions" hint="Codes, comma-separated. Empty: all.">
          {(p) => <Input {...p} value={v.regions} placeholder="e.g. NA, EMEA" onChange={(e) => setV({ ...v, regions: e.target.value })} />}
        </Field>
      </div>
      <div className="flex justify-end gap-2 pt-2">
        <DialogClose asChild>
          <Button variant="secondary">Cancel</Button>
        </DialogClose>
        <Button type="submit" disabled={submitting}>
          {submitting ? "Saving…" : mode === "create" ? "Create user" : "Save changes"}
        </Button>
      </div>
    </form>
  );
}
