"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import {
  AlertTriangle,
  BarChart3,
  GitCompareArrows,
  FileUp,
  Link2,
  RefreshCw,
  ScrollText,
  Users,
  type LucideIcon,
} from "lucide-react";
import type { AreaKey } from "@/lib/areas";
import { cn } from "@/components/ui/cn";

const ICONS: Record<AreaKey, LucideIcon> = {
  kpis: BarChart3,
  exceptions: AlertTriangle,
  mappings: Link2,
  reconciliation: GitCompareArrows,
  imports: FileUp,
  sync: RefreshCw,
  audit: ScrollText,
  users: Users,
};

export function SidebarNav({ items }: { items: { key: AreaKey; href: string; label: string }[] }) {
  const pathname = usePathname();
  return (
    <nav aria-label="Main" className="flex-1 px-2 py-3">
      <ul className="space-y-0.5">
        {items.map((item) => {
          const Icon = ICONS[item.key];
          const active = pathname === item.href || pathname.startsWith(`${item.href}/`);
          return (
            <li key={item.key}>
              <Link
                href={item.href}
                aria-current={active ? "page" : undefined}
                className={cn(
                  "flex items-center gap-2.5 rounded-md px-2.5 py-1.5 text-sm font-medium",
                  active ? "bg-white/10 text-white" : "text-slate-300 hover:bg-white/5 hover:text-white",
                )}
              >
                <Icon className="size-4 shrink-0" aria-hidden />
                {item.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
