import type { Metadata } from "next";
import { AreaGate } from "@/components/shell/area-gate";
import { getQueryClient, HydrateClient, trpc } from "@/trpc/server";
import { drillFromParams } from "./drill";
import { EntriesView } from "./entries-view";

export const metadata: Metadata = { title: "KPI entries" };

type Params = Record<string, string | string[] | undefined>;

export default async function EntriesPage({ searchParams }: { searchParams: Promise<Params> }) {
  const params = await searchParams;
  return (
    <AreaGate area="kpis">
      <Prefetched params={params} />
    </AreaGate>
  );
}

async function Prefetched({ params }: { params: Params }) {
  const drill = drillFromParams(params);
  // fetched before rendering, so the server's HTML and the client's first render agree
  if (drill) await getQueryClient().fetchInfiniteQuery(trpc.kpis.entries.infiniteQueryOptions(drill, { getNextPageParam: (p) => p.nextCursor })).catch(() => null);
  return (
    <HydrateClient>
      <EntriesView />
    </HydrateClient>
  );
}
