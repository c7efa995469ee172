import type { Metadata } from "next";
import Link from "next/link";
import { SearchX } from "lucide-react";
import { TRPCError } from "@trpc/server";
import { AreaGate } from "@/components/shell/area-gate";
import { EmptyState } from "@/components/ui/empty-state";
import { paramReader } from "@/lib/search-params";
import { LOG_LEVELS, type LogLevel } from "@/server/log";
import { getQueryClient, HydrateClient, trpc } from "@/trpc/server";
import { isUuid, LOG_PAGE_SIZE } from "../filters";
import { RunView } from "./run-view";

export const metadata: Metadata = { title: "Sync run" };

type Params = Record<string, string | string[] | undefined>;

export default async function RunPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<Params> }) {
  const { id } = await params;
  const level = paramReader(await searchParams)("level");
  const logLevel: LogLevel = (LOG_LEVELS as readonly string[]).includes(level ?? "") ? (level as LogLevel) : "debug";
  return (
    <AreaGate area="sync">
      <Prefetched id={id} logLevel={logLevel} />
    </AreaGate>
  );
}

function NoSuchRun() {
  return (
    <EmptyState icon={SearchX} title="No sync run has this id">
      <p>It may have been removed by the retention policy, or the link is mistyped.</p>
      <p className="mt-3">
        <Link href="/sync/runs" className="font-medium text-brand-700 underline underline-offset-2">
          Back to all sync runs
        </Link>
      </p>
    </EmptyState>
  );
}

async function Prefetched({ id, logLevel }: { id: string; logLevel: LogLevel }) {
  if (!isUuid(id)) return <NoSuchRun />;
  try {
    // awaited, so that a run that does not exist gets its own page instead of an error
    await getQueryClient().fetchInfiniteQuery(
      trpc.syncConsole.run.infiniteQueryOptions({ id: id.toLowerCase(), logLevel, logLimit: LOG_PAGE_SIZE }, { getNextPageParam: (p) => p.logs.nextCursor }),
    );
  } catch (err) {
    if (err instanceof TRPCError && err.code === "NOT_FOUND") return <NoSuchRun />;
    throw err;
  }
  return (
    <HydrateClient>
      <RunView id={id.toLowerCase()} />
    </HydrateClient>
  );
}
