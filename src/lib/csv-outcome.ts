import type { BadgeTone } from "@/components/ui/badge";

/** How a CSV dry run's row outcome reads in the console (time imports and mapping files alike). */
export const CSV_ROW_OUTCOME: Record<"new" | "changed" | "unchanged" | "error", { label: string; tone: BadgeTone }> = {
  new: { label: "New", tone: "info" },
  changed: { label: "Changed", tone: "warning" },
  unchanged: { label: "Unchanged", tone: "neutral" },
  error: { label: "Error", tone: "danger" },
};
