import type { Metadata } from "next";
import { AreaGate } from "@/components/shell/area-gate";
import { ImportsView } from "./imports-view";

export const metadata: Metadata = { title: "Imports" };

export default function ImportsPage() {
  return (
    <AreaGate area="imports">
      <ImportsView />
    </AreaGate>
  );
}
