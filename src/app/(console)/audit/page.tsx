import type { Metadata } from "next";
import { AreaGate } from "@/components/shell/area-gate";
import { HydrateClient, prefetch, trpc } from "@/trpc/server";
import { auditFilterFromParams } from "./filters";
import { AuditView } from "./audit-view";

export const metadata: Metadata = { title: "Audit log" };

export default async function AuditPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const filter = auditFilterFromParams(await searchParams);
  return (
    <AreaGate area="audit">
      <Prefetched filter={filter} />
    </AreaGate>
  );
}

function Prefetched({ filter }: { filter: ReturnType<typeof auditFilterFromParams> }) {
  prefetch(trpc.audit.list.queryOptions(filter));
  prefetch(trpc.audit.facets.queryOptions());
  return (
    <HydrateClient>
      <AuditView />
    </HydrateClient>
  );
}
