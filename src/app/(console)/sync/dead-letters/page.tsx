import type { Metadata } from "next";
import { AreaGate } from "@/components/shell/area-gate";
import { HydrateClient, prefetch, trpc } from "@/trpc/server";
import { DeadLettersView } from "./dead-letters-view";

export const metadata: Metadata = { title: "Dead letters and replay" };

export default function DeadLettersPage() {
  return (
    <AreaGate area="sync">
      <Prefetched />
    </AreaGate>
  );
}

function Prefetched() {
  prefetch(trpc.syncConsole.deadLetters.queryOptions({ statuses: ["dead", "rejected"] }));
  return (
    <HydrateClient>
      <DeadLettersView />
    </HydrateClient>
  );
}
