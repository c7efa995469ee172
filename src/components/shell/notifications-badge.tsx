"use client";

import { useQuery } from "@tanstack/react-query";
import { Bell } from "lucide-react";
import Link from "next/link";
import { useTRPC } from "@/trpc/client";

/**
 * The bell in the console's header: links to the alerts page and shows how many of the
 * person's teams' notifications they have not read (checked every minute). For people who
 * open the exception queue (admin, finance ops, PMO); render it only for them.
 */
export function NotificationsBadge() {
  const trpc = useTRPC();
  const unread = useQuery(trpc.alerts.unreadCount.queryOptions(undefined, { refetchInterval: 60_000, refetchOnWindowFocus: true }));
  const count = unread.data?.count ?? 0;
  const label = count === 0 ? "Alerts: no unread notifications" : `Alerts: ${count} unread ${count === 1 ? "notification" : "notifications"}`;
  return (
    <Link
      href="/exceptions/alerts"
      aria-label={label}
      title={label}
      className="relative inline-flex size-8 items-center justify-center rounded-md text-slate-600 hover:bg-slate-100 hover:text-slate-900 focus-visible:ring-2 focus-visible:ring-brand-500/40 focus-visible:outline-none"
      data-testid="notifications-badge"
    >
      <Bell className="size-4" aria-hidden />
      {count > 0 && (
        <span aria-hidden className="absolute -top-0.5 -right-0.5 min-w-4 rounded-full bg-red-600 px-1 text-center text-[10px] leading-4 font-semibold text-white tabular-nums">
          {count > 99 ? "99+" : count}
        </span>
      )}
    </Link>
  );
}
