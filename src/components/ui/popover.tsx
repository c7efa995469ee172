"use client";

import * as P from "@radix-ui/react-popover";
import { cn } from "./cn";

export const Popover = P.Root;
export const PopoverTrigger = P.Trigger;

export function PopoverContent({ className, ...props }: P.PopoverContentProps) {
  return (
    <P.Portal>
      <P.Content
        sideOffset={4}
        align="start"
        className={cn("z-50 w-72 rounded-md border border-slate-200 bg-white p-3 text-sm shadow-lg", className)}
        {...props}
      />
    </P.Portal>
  );
}
