"use client";

import { ChevronDown, LogOut } from "lucide-react";
import { useTransition } from "react";
import { signOutAction } from "@/app/(console)/actions";
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from "@/components/ui/dropdown-menu";

export function UserMenu({
  name,
  email,
  roleLabels,
  scopeLabel,
}: {
  name: string;
  email: string;
  roleLabels: string[];
  scopeLabel: string;
}) {
  const [pending, startTransition] = useTransition();
  return (
    <DropdownMenu>
      <DropdownMenuTrigger
        className="flex items-center gap-2 rounded-md px-2 py-1 text-left hover:bg-slate-100"
        aria-label={`Account menu for ${name}`}
      >
        <span
          aria-hidden
          className="flex size-7 items-center justify-center rounded-full bg-brand-100 text-xs font-semibold text-brand-700"
        >
          {initials(name)}
        </span>
        <span className="hidden leading-tight sm:block">
          <span className="block text-sm font-medium text-slate-900">{name}</span>
          <span className="block text-xs text-slate-600" data-testid="user-roles">
            {roleLabels.join(", ")}
          </span>
        </span>
        <ChevronDown className="size-4 text-slate-500" aria-hidden />
      </DropdownMenuTrigger>
      <DropdownMenuContent>
        <DropdownMenuLabel>
          <span className="block font-medium text-slate-900">{email}</span>
          <span className="block">Sees: {scopeLabel}</span>
        </DropdownMenuLabel>
        <DropdownMenuSeparator />
        {/* a server action called directly: the menu unmounts on select, so a form inside it would never submit */}
        <DropdownMenuItem onSelect={() => startTransition(() => signOutAction())} disabled={pending}>
          <LogOut className="size-4" aria-hidden /> {pending ? "Signing out…" : "Sign out"}
        </DropdownMenuItem>
      </DropdownMenuContent>
    </DropdownMenu>
  );
}

function initials(name: string) {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((p) => p[0]!.toUpperCase())
    .join("");
}
