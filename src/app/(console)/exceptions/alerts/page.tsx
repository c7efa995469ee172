import type { Metadata } from "next";
import { AreaGate } from "@/components/shell/area-gate";
import { getQueryClient, HydrateClient, prefetch, trpc } from "@/trpc/server";
import { ALERTS_NEED_FULL_SCOPE, NOTIFICATIONS_PAGE } from "@/server/services/alerts/catalog";
import { BellOff } from "lucide-react";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { requireSession } from "@/server/auth/guard";
import { isUnrestricted } from "@/server/auth/scope";
import { AlertsView } from "./alerts-view";

export const metadata: Metadata = { title: "Alerts" };

export default async function AlertsPage() {
  const { user } = await requireSession();
  return (
    <AreaGate area="exceptions">
      {isUnrestricted(user.scope) ? (
        <Prefetched />
      ) : (
        <>
          <PageHeader title="Alerts" />
          <EmptyState icon={BellOff} title="Alerts are for firm-wide access">
            <p>{ALERTS_NEED_FULL_SCOPE}</p>
          </EmptyState>
        </>
      )}
    </AreaGate>
  );
}

function Prefetched() {
  void getQueryClient().prefetchInfiniteQuery(trpc.alerts.notifications.infiniteQueryOptions({ limit: NOTIFICATIONS_PAGE }, { getNextPageParam: (p) => p.nextCursor }));
  prefetch(trpc.alerts.rules.queryOptions());
  return (
    <HydrateClient>
      <AlertsView />
    </HydrateClient>
  );
}
