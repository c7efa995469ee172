import type { Metadata } from "next";
import { AreaGate } from "@/components/shell/area-gate";
import { getQueryClient, HydrateClient, prefetch, trpc } from "@/trpc/server";
import { chartConnectorOf } from "./chart-connector";
import { chartWindowFromParams, runsFilterFromParams } from "./filters";
import { RunsView } from "./runs-view";

export const metadata: Metadata = { title: "Sync runs" };

type Params = Record<string, string | string[] | undefined>;

export default async function RunsPage({ searchParams }: { searchParams: Promise<Params> }) {
  const params = await searchParams;
  return (
    <AreaGate area="sync">
      <Prefetched params={params} />
    </AreaGate>
  );
}

async function Prefetched({ params }: { params: Params }) {
  const filter = runsFilterFromParams(params);
  const qc = getQueryClient();
  void qc.prefetchInfiniteQuery(trpc.syncConsole.runs.infiniteQueryOptions(filter, { getNextPageParam: (p) => p.nextCursor }));
  // the connectors name the filter's choices and say which one the charts are drawn for
  const connectors = await qc.fetchQuery(trpc.sync.overview.queryOptions()).catch(() => []);
  const chartFor = chartConnectorOf(connectors, filter.connectorId);
  if (chartFor) prefetch(trpc.syncConsole.charts.queryOptions({ connectorId: chartFor.id, window: chartWindowFromParams(params) }));
  return (
    <HydrateClient>
      <RunsView />
    </HydrateClient>
  );
}
