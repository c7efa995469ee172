"use client";

import * as M from "@radix-ui/react-dropdown-menu";
import { cn } from "./cn";

export const DropdownMenu = M.Root;
export const DropdownMenuTrigger = M.Trigger;

export function DropdownMenuContent({ className, ...props }: M.DropdownMenuContentProps) {
  return (
    <M.Portal>
      <M.Content
        sideOffset={4}
        align="end"
        className={cn("z-50 min-w-44 rounded-md border border-slate-200 bg-white p-1 text-sm shadow-lg", className)}
        {...props}
      />
    </M.Portal>
  );
}

export function DropdownMenuItem({ className, ...props }: M.DropdownMenuItemProps) {
  return (
    <M.Item
      className={cn(
        "flex cursor-default items-center gap-2 rounded px-2 py-1.5 text-slate-800 outline-none select-none data-[disabled]:text-slate-400 data-[highlighted]:bg-slate-100",
        className,
      )}
      {...props}
    />
  );
}

export const DropdownMenuSeparator = () => <M.Separator className="my-1 h-px bg-slate-200" />;
export function DropdownMenuLabel({ className, ...props }: M.DropdownMenuLabelProps) {
  return <M.Label className={cn("px-2 py-1.5 text-xs text-slate-600", className)} {...props} />;
}
