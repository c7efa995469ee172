"use client";

import { useMutation, useQueryClient, useSuspenseQuery } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import { Pencil, Plus, UserCheck, UserX } from "lucide-react";
import { useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Dialog, DialogClose, DialogContent } from "@/components/ui/dialog";
import { Input, Select } from "@/components/ui/field";
import { PageHeader } from "@/components/ui/page-header";
import { Table, Td, Th } from "@/components/ui/table";
import { formatAge, formatDateTime } from "@/lib/format";
import { useUrlState } from "@/lib/url-state";
import { ROLE_LABELS, ROLES, type Role } from "@/server/auth/roles";
import type { UserRow } from "@/server/services/users/list";
import { errorMessage, useTRPC } from "@/trpc/client";
import { usersFilterFromParams } from "./filters";
import { codes, UserForm, type FieldErrors, type UserFormValues } from "./user-form";

type Editing = { kind: "create" } | { kind: "edit"; user: UserRow } | { kind: "toggle"; user: UserRow } | null;

function fieldErrorsOf(err: unknown): FieldErrors {
  if (err instanceof TRPCClientError) return (err.data?.fieldErrors as FieldErrors | undefined) ?? {};
  return {};
}

export function UsersView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { params, set } = useUrlState();
  const filter = usersFilterFromParams(params);
  // suspends until the server's prefetch arrives; filter changes run in a router transition,
  // so the current rows stay on screen while the next ones load
  const { data: users } = useSuspenseQuery(trpc.users.list.queryOptions(filter));
  const { data: me } = useSuspenseQuery(trpc.me.get.queryOptions());
  const [editing, setEditing] = useState<Editing>(null);
  const [search, setSearch] = useState(filter.search ?? "");

  const done = async () => {
    setEditing(null);
    await queryClient.invalidateQueries({ queryKey: trpc.users.pathKey() });
  };
  const create = useMutation(trpc.users.create.mutationOptions({ onSuccess: done }));
  const update = useMutation(trpc.users.update.mutationOptions({ onSuccess: done }));
  const toggle = useMutation(trpc.users.setDisabled.mutationOptions({ onSuccess: done }));

  const open = (e: Editing) => {
    create.reset();
    update.reset();
    toggle.reset();
    setEditing(e);
  };

  const submit = (values: UserFormValues) => {
    const scope = { entities: codes(values.entities), regions: codes(values.regions) };
    if (editing?.kind === "create") {
      create.mutate({ name: values.name, email: values.email, password: values.password || undefined, roles: values.roles, scope });
    } else if (editing?.kind === "edit") {
      update.mutate({
        id: editing.user.id,
        expectedUpdatedAt: new Date(editing.user.updatedAt).toISOString(),
        name: values.name,
        roles: values.roles,
        scope,
        password: values.password || undefined,
      });
    }
  };
  const active = editing?.kind === "create" ? create : update;

  return (
    <>
      <PageHeader
        title="Users"
        description="Who may sign in, what they may do (roles) and which legal entities and regions they see (scope). Changes apply on the user's next request."
        actions={
          <Button onClick={() => open({ kind: "create" })}>
            <Plus className="size-4" aria-hidden /> New user
          </Button>
        }
      />

      <form
        role="search"
        className="mb-3 flex flex-wrap items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          set({ q: search });
        }}
      >
        <label className="sr-only" htmlFor="user-search">Search users</label>
        <Input id="user-search" className="w-64" placeholder="Search name or e-mail" value={search} onChange={(e) => setSearch(e.target.value)} />
        <label className="sr-only" htmlFor="user-role">Role</label>
        <Select id="user-role" className="w-40" value={filter.role ?? ""} onChange={(e) => set({ role: e.target.value })}>
          <option value="">All roles</option>
          {ROLES.map((r) => (
            <option key={r} value={r}>{ROLE_LABELS[r]}</option>
          ))}
        </Select>
        <label className="sr-only" htmlFor="user-status">Status</label>
        <Select id="user-status" className="w-36" value={filter.status} onChange={(e) => set({ status: e.target.value === "all" ? undefined : e.target.value })}>
          <option value="all">Any status</option>
          <option value="active">Active</option>
          <option value="disabled">Disabled</option>
        </Select>
        <Button type="submit" variant="secondary">Search</Button>
        <span className="ml-auto text-xs text-slate-600" aria-live="polite">
          {users.length} {users.length === 1 ? "user" : "users"}
        </span>
      </form>

      <Table aria-label="Users">
        <thead>
          <tr>
            <Th>Name</Th>
            <Th>E-mail</Th>
            <Th>Roles</Th>
            <Th>Scope</Th>
            <Th>Status</Th>
            <Th>Last sign-in</Th>
            <Th className="text-right">Actions</Th>
          </tr>
        </thead>
        <tbody>
          {users.length === 0 && (
            <tr>
              <Td colSpan={7} className="py-6 text-center text-slate-600">
                No user matches these filters.
              </Td>
            </tr>
          )}
          {users.map((u) => (
            <tr key={u.id} className={u.disabledAt ? "bg-slate-50 text-slate-500" : undefined} data-testid={`user-row-${u.email}`}>
              <Td className="font-medium">{u.name}</Td>
              <Td>{u.email}</Td>
              <Td>
                <div className="flex flex-wrap gap-1">
                  {u.roles.map((r) => (
                    <Badge key={r} tone={r === "admin" ? "info" : "neutral"}>{ROLE_LABELS[r as Role] ?? r}</Badge>
                  ))}
                </div>
              </Td>
              <Td className="text-xs">
                {u.scopeEntities.length === 0 && u.scopeRegions.length === 0 ? (
                  <span className="text-slate-600">All</span>
                ) : (
                  <>
                    {u.scopeEntities.length > 0 && <div>Entities: {u.scopeEntities.join(", ")}</div>}
                    {u.scopeRegions.length > 0 && <div>Regions: {u.scopeRegions.join(", ")}</div>}
                  </>
                )}
              </Td>
              <Td>
                {u.disabledAt ? <Badge tone="danger">Disabled</Badge> : <Badge tone="success">Active</Badge>}
              </Td>
              <Td className="text-xs whitespace-nowrap" title={formatDateTime(u.lastSignInAt)}>
                {/* relative to now: the browser's now may differ from the server's by a minute */}
                <span suppressHydrationWarning>{formatAge(u.lastSignInAt)}</span>
              </Td>
              <Td className="text-right whitespace-nowrap">
                <Button size="sm" variant="ghost" onClick={() => open({ kind: "edit", user: u })} aria-label={`Edit ${u.name}`}>
                  <Pencil className="size-3.5" aria-hidden /> Edit
                </Button>
                <Button
                  size="sm"
                  variant="ghost"
                  disabled={u.id === me.id}
                  title={u.id === me.id ? "You cannot disable your own account" : undefined}
                  onClick={() => open({ kind: "toggle", user: u })}
                  aria-label={`${u.disabledAt ? "Enable" : "Disable"} ${u.name}`}
                >
                  {u.disabledAt ? <UserCheck className="size-3.5" aria-hidden /> : <UserX className="size-3.5" aria-hidden />}
                  {u.disabledAt ? "Enable" : "Disable"}
                </Button>
              </Td>
            </tr>
          ))}
        </tbody>
      </Table>

      <Dialog open={editing?.kind === "create" || editing?.kind === "edit"} onOpenChange={(o) => !o && setEditing(null)}>
        {(editing?.kind === "create" || editing?.kind === "edit") && (
          <DialogContent
            title={editing.kind === "create" ? "New user" : `Edit ${editing.user.name}`}
            description={editing.kind === "create" ? "They can sign in as soon as you create them." : "Role and scope changes apply on their next request."}
          >
            <UserForm
              key={editing.kind === "edit" ? editing.user.id : "new"}
              mode={editing.kind}
              initial={
                editing.kind === "edit"
                  ? {
                      name: editing.user.name,
                      email: editing.user.email,
                      password: "",
                      roles: editing.user.roles as Role[],
                      entities: editing.user.scopeEntities.join(", "),
                      regions: editing.user.scopeRegions.join(", "),
                    }
                  : { name: "", email: "", password: "", roles: [], entities: "", regions: "" }
              }
              submitting={active.isPending}
              error={active.error ? errorMessage(active.error) : null}
              fieldErrors={fieldErrorsOf(active.error)}
              onSubmit={submit}
            />
          </DialogContent>
        )}
      </Dialog>

      <Dialog open={editing?.kind === "toggle"} onOpenChange={(o) => !o && setEditing(null)}>
        {editing?.kind === "toggle" && (
          <DialogContent
            title={editing.user.disabledAt ? `Enable ${editing.user.name}?` : `Disable ${editing.user.name}?`}
            description={
              editing.user.disabledAt
                ? "They will be able to sign in again with their roles and scope."
                : "They lose access on their next request, including any session open now. Their history stays."
            }
          >
            {toggle.error && (
              <div role="alert" className="mb-3 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
                {errorMessage(toggle.error)}
              </div>
            )}
            <div className="flex justify-end gap-2">
              <DialogClose asChild>
                <Button variant="secondary">Cancel</Button>
              </DialogClose>
              <Button
                variant={editing.user.disabledAt ? "primary" : "danger"}
                disabled={toggle.isPending}
                onClick={() => toggle.mutate({ id: editing.user.id, disabled: !editing.user.disabledAt })}
              >
                {editing.user.disabledAt ? "Enable user" : "Disable user"}
              </Button>
            </div>
          </DialogContent>
        )}
      </Dialog>
    </>
  );
}
