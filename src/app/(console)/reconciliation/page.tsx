import type { Metadata } from "next";
import { AreaGate } from "@/components/shell/area-gate";
import { hasAnyRole } from "@/server/auth/roles";
import { requireSession } from "@/server/auth/guard";
import { getQueryClient, HydrateClient, trpc } from "@/trpc/server";
import { reconciliationParams } from "./params";
import { ReconciliationView } from "./reconciliation-view";

export const metadata: Metadata = { title: "Reconciliation" };

type Params = Record<string, string | string[] | undefined>;

export default async function ReconciliationPage({ searchParams }: { searchParams: Promise<Params> }) {
  const params = await searchParams;
  return (
    <AreaGate area="reconciliation">
      <Prefetched params={params} />
    </AreaGate>
  );
}

async function Prefetched({ params }: { params: Params }) {
  const session = await requireSession();
  const p = reconciliationParams(params);
  const qc = getQueryClient();
  // the overview decides the default entity and period; a refused selection is shown by the view
  const overview = await qc.fetchQuery(trpc.reconciliation.overview.queryOptions({ entity: p.entity, period: p.period })).catch(() => null);
  const selected = overview?.selected;
  if (selected) {
    // fetched before rendering, so the server's HTML and the client's first render agree
    const runId = p.run ?? overview.runs.find((r) => r.status === "succeeded")?.id;
    await Promise.all([
      qc.fetchQuery(trpc.reconciliation.closeReadiness.queryOptions({ entity: selected.entityCode, period: selected.period })).catch(() => null),
      runId ? qc.fetchQuery(trpc.reconciliation.run.queryOptions({ runId })).catch(() => null) : null,
      runId
        ? qc
            .fetchInfiniteQuery(
              trpc.reconciliation.variances.infiniteQueryOptions({ runId, varianceClass: p.varianceClass, project: p.project, person: p.person, limit: 50 }, { getNextPageParam: (x) => x.nextCursor }),
            )
            .catch(() => null)
        : null,
    ]);
  }
  return (
    <HydrateClient>
      <ReconciliationView canRun={hasAnyRole(session.user.roles, ["admin", "finance_ops"])} />
    </HydrateClient>
  );
}
