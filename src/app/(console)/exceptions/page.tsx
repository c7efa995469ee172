import type { Metadata } from "next";
import { AreaGate } from "@/components/shell/area-gate";
import { HydrateClient, prefetch, trpc } from "@/trpc/server";
import { ExceptionsView } from "./exceptions-view";
import { PAGE_SIZE, queueParams } from "@/lib/exception-queue-params";

export const metadata: Metadata = { title: "Exceptions" };

type Params = Record<string, string | string[] | undefined>;

export default async function ExceptionsPage({ searchParams }: { searchParams: Promise<Params> }) {
  const params = await searchParams;
  return (
    <AreaGate area="exceptions">
      <Prefetched params={params} />
    </AreaGate>
  );
}

function Prefetched({ params }: { params: Params }) {
  const qp = queueParams(params);
  if (qp.problems.length === 0) {
    prefetch(trpc.exceptions.list.queryOptions({ filter: qp.filter, sort: qp.sort, dir: qp.dir, cursor: qp.cursor, limit: PAGE_SIZE }));
    prefetch(trpc.exceptions.figures.queryOptions({ filter: qp.filter }));
  }
  prefetch(trpc.exceptions.facets.queryOptions());
  prefetch(trpc.exceptions.views.queryOptions());
  return (
    <HydrateClient>
      <ExceptionsView />
    </HydrateClient>
  );
}
