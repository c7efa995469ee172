import type { Metadata } from "next";
import { AreaGate } from "@/components/shell/area-gate";
import { HydrateClient, prefetch, trpc } from "@/trpc/server";
import { SyncView } from "./sync-view";

export const metadata: Metadata = { title: "Sync" };

export default function SyncPage() {
  return (
    <AreaGate area="sync">
      <Prefetched />
    </AreaGate>
  );
}

function Prefetched() {
  prefetch(trpc.sync.overview.queryOptions());
  prefetch(trpc.me.get.queryOptions());
  return (
    <HydrateClient>
      <SyncView />
    </HydrateClient>
  );
}
