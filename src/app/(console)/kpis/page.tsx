import type { Metadata } from "next";
import { AreaGate } from "@/components/shell/area-gate";
import { NotBuiltYet } from "@/components/shell/not-built-yet";

export const metadata: Metadata = { title: "KPIs" };

export default function Page() {
  return (
    <AreaGate area="kpis">
      <NotBuiltYet areaKey="kpis" />
    </AreaGate>
  );
}
