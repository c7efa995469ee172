import type { Metadata } from "next";
import { AreaGate } from "@/components/shell/area-gate";
import { HydrateClient, prefetch, trpc } from "@/trpc/server";
import { mappingsFilterFromParams } from "./filters";
import { MappingsView } from "./mappings-view";

export const metadata: Metadata = { title: "Mappings" };

type Params = Record<string, string | string[] | undefined>;

export default async function MappingsPage({ searchParams }: { searchParams: Promise<Params> }) {
  const params = await searchParams;
  return (
    <AreaGate area="mappings">
      <Prefetched params={params} />
    </AreaGate>
  );
}

function Prefetched({ params }: { params: Params }) {
  const f = mappingsFilterFromParams(params);
  prefetch(trpc.mappings.overview.queryOptions());
  prefetch(trpc.mappings.unmapped.queryOptions(f.unmapped));
  prefetch(trpc.mappings.list.queryOptions(f.list));
  prefetch(trpc.mappings.recoveries.queryOptions());
  return (
    <HydrateClient>
      <MappingsView />
    </HydrateClient>
  );
}
