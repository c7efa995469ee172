import type { Metadata } from "next";
import { AreaGate } from "@/components/shell/area-gate";
import { HydrateClient, prefetch, trpc } from "@/trpc/server";
import { usersFilterFromParams } from "./filters";
import { UsersView } from "./users-view";

export const metadata: Metadata = { title: "Users" };

export default async function UsersPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const filter = usersFilterFromParams(await searchParams);
  return (
    <AreaGate area="users">
      <Prefetched filter={filter} />
    </AreaGate>
  );
}

function Prefetched({ filter }: { filter: ReturnType<typeof usersFilterFromParams> }) {
  prefetch(trpc.users.list.queryOptions(filter));
  prefetch(trpc.me.get.queryOptions());
  return (
    <HydrateClient>
      <UsersView />
    </HydrateClient>
  );
}
