"use client";

import { ChevronDown } from "lucide-react";
import { useEffect, useId, useState } from "react";
import { cn } from "./cn";
import { Popover, PopoverContent, PopoverTrigger } from "./popover";

/**
 * A compact filter control: a button naming the choice ("Owner: Finance, PMO") that opens a
 * list of checkboxes. Empty selection means "any".
 */
export function MultiSelect({
  label,
  options,
  value,
  onChange,
  className,
  anyLabel = "any",
}: {
  label: string;
  options: readonly { value: string; label: string }[];
  value: readonly string[];
  onChange: (next: string[]) => void;
  className?: string;
  anyLabel?: string;
}) {
  const id = useId();
  // the choice shows at once, before the parent (often a URL change) catches up
  const [local, setLocal] = useState<readonly string[]>(value);
  const key = value.join("\u0000");
  useEffect(() => setLocal(value), [key]);
  const chosen = options.filter((o) => local.includes(o.value));
  const summary = chosen.length === 0 ? anyLabel : chosen.length <= 2 ? chosen.map((o) => o.label).join(", ") : `${chosen.length} selected`;
  const change = (next: string[]) => {
    setLocal(next);
    onChange(next);
  };
  const toggle = (v: string) => change(local.includes(v) ? local.filter((x) => x !== v) : [...local, v]);
  return (
    <Popover>
      <PopoverTrigger
        className={cn(
          "inline-flex h-8 max-w-64 items-center gap-1 rounded-md border bg-white px-2.5 text-sm text-slate-800 hover:bg-slate-50 focus:ring-2 focus:ring-brand-500/30 focus:outline-none",
          chosen.length ? "border-brand-500" : "border-slate-300",
          className,
        )}
        aria-label={`${label}: ${summary}`}
      >
        <span className="text-slate-600">{label}:</span>
        <span className="truncate font-medium">{summary}</span>
        <ChevronDown className="size-3.5 shrink-0 text-slate-500" aria-hidden />
      </PopoverTrigger>
      <PopoverContent className="max-h-80 w-64 overflow-y-auto p-1">
        <fieldset>
          <legend className="px-2 py-1 text-xs font-semibold text-slate-600">{label}</legend>
          {options.length === 0 && <p className="px-2 py-1 text-xs text-slate-600">Nothing to choose from.</p>}
          {options.map((o, i) => (
            <label key={o.value} htmlFor={`${id}-${i}`} className="flex cursor-pointer items-center gap-2 rounded px-2 py-1 text-sm hover:bg-slate-50">
              <input id={`${id}-${i}`} type="checkbox" className="size-3.5" checked={local.includes(o.value)} onChange={() => toggle(o.value)} />
              <span className="truncate">{o.label}</span>
            </label>
          ))}
        </fieldset>
        {local.length > 0 && (
          <button type="button" className="mt-1 w-full rounded px-2 py-1 text-left text-xs font-medium text-brand-700 hover:bg-slate-50" onClick={() => change([])}>
            Clear {label.toLowerCase()}
          </button>
        )}
      </PopoverContent>
    </Popover>
  );
}
