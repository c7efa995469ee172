import type { Metadata } from "next";
import { AreaGate } from "@/components/shell/area-gate";
import { HydrateClient, prefetch, trpc } from "@/trpc/server";
import { ExceptionsView } from "./exceptions-view";

export const metadata: Metadata = { title: "Exceptions" };

export default function ExceptionsPage() {
  return (
    <AreaGate area="exceptions">
      <Prefetched />
    </AreaGate>
  );
}

function Prefetched() {
  prefetch(trpc.exceptions.summary.queryOptions());
  return (
    <HydrateClient>
      <ExceptionsView />
    </HydrateClient>
  );
}
