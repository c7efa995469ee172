"use client";

/** A row of toggle buttons, one pressed: how a table is broken down (used by KPIs and Reconciliation). */
export function Segmented<T extends string>({ label, options, value, onChange }: { label: string; options: readonly { key: T; label: string }[]; value: T; onChange: (key: T) => void }) {
  return (
    <div role="group" aria-label={label} className="inline-flex overflow-hidden rounded-md border border-slate-300">
      {options.map((o) => (
        <button
          key={o.key}
          type="button"
          aria-pressed={o.key === value}
          onClick={() => onChange(o.key)}
          className={`h-8 border-l border-slate-300 px-3 text-sm font-medium first:border-l-0 ${o.key === value ? "bg-brand-600 text-white" : "bg-white text-slate-700 hover:bg-slate-50"}`}
        >
          {o.label}
        </button>
      ))}
    </div>
  );
}
