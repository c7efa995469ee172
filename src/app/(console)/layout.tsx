import Link from "next/link";
import { areasFor, landingFor } from "@/lib/areas";
import { ROLE_LABELS } from "@/server/auth/roles";
import { requireSession } from "@/server/auth/guard";
import { SidebarNav } from "@/components/shell/sidebar-nav";
import { UserMenu } from "@/components/shell/user-menu";
import { NotificationsBadge } from "@/components/shell/notifications-badge";
import { ActivityKeepAlive } from "@/components/shell/activity-keepalive";
import { TooltipProvider } from "@/components/ui/tooltip";

export default async function ConsoleLayout({ children }: { children: React.ReactNode }) {
  const session = await requireSession();
  const { user } = session;
  const items = areasFor(user.roles).map(({ key, href, label }) => ({ key, href, label }));
  const scope = [
    user.scope.entities.length ? `entities ${user.scope.entities.join(", ")}` : null,
    user.scope.regions.length ? `regions ${user.scope.regions.join(", ")}` : null,
  ].filter(Boolean);

  return (
    <TooltipProvider>
      <div className="flex min-h-screen">
        <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2">
          Skip to content
        </a>
        <aside className="w-52 shrink-0 bg-slate-900">
          <div className="sticky top-0 flex h-screen flex-col">
          <Link href={landingFor(user.roles)} className="flex items-center gap-2 px-4 py-4">
            {/* eslint-disable-next-line @next/next/no-img-element */}
            <img src="/logo.svg" alt="" className="size-7" />
            <span className="text-base font-semibold tracking-tight text-white">Hourbridge</span>
          </Link>
          <SidebarNav items={items} />
          </div>
        </aside>
        <div className="flex min-w-0 flex-1 flex-col">
          <header className="flex h-12 items-center justify-between gap-4 border-b border-slate-200 bg-white px-4">
            <p className="truncate text-xs text-slate-600">
              Showing: <span className="font-medium text-slate-800">{scope.length ? scope.join("; ") : "all legal entities and regions"}</span>
            </p>
            <div className="flex items-center gap-2">
              {items.some((a) => a.key === "exceptions") && scope.length === 0 && <NotificationsBadge />}
              <UserMenu
                name={user.name}
                email={user.email}
                roleLabels={user.roles.map((r) => ROLE_LABELS[r])}
                scopeLabel={scope.length ? scope.join("; ") : "all legal entities and regions"}
              />
            </div>
          </header>
          <main id="main" className="min-w-0 flex-1 px-6 py-5">
            {children}
          </main>
        </div>
      </div>
      <ActivityKeepAlive />
    </TooltipProvider>
  );
}
