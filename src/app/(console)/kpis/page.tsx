import type { Metadata } from "next";
import { AreaGate } from "@/components/shell/area-gate";
import { area } from "@/lib/areas";
import { hasAnyRole } from "@/server/auth/roles";
import { requireSession } from "@/server/auth/guard";
import { getQueryClient, HydrateClient, trpc } from "@/trpc/server";
import { breakdownFromParams, selectionFromParams } from "./filters";
import { KpisView } from "./kpis-view";

export const metadata: Metadata = { title: "KPIs" };

type Params = Record<string, string | string[] | undefined>;

export default async function KpisPage({ searchParams }: { searchParams: Promise<Params> }) {
  const params = await searchParams;
  return (
    <AreaGate area="kpis">
      <Prefetched params={params} />
    </AreaGate>
  );
}

async function Prefetched({ params }: { params: Params }) {
  const session = await requireSession();
  const sel = selectionFromParams(params);
  const qc = getQueryClient();
  // fetched before rendering, so the server's HTML and the client's first render agree; a selection the
  // server refuses (a period that does not exist, an entity outside the scope) is shown by the view
  await Promise.all([
    qc.fetchQuery(trpc.kpis.dashboard.queryOptions(sel)).catch(() => null),
    qc.fetchQuery(trpc.kpis.trends.queryOptions({ ...sel, days: 90 })).catch(() => null),
    qc.fetchQuery(trpc.kpis.breakdown.queryOptions({ ...sel, by: breakdownFromParams(params) })).catch(() => null),
  ]);
  return (
    <HydrateClient>
      <KpisView canReconcile={hasAnyRole(session.user.roles, area("reconciliation").roles)} canSeeSync={hasAnyRole(session.user.roles, area("sync").roles)} />
    </HydrateClient>
  );
}
