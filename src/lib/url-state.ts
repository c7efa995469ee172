"use client";

import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useCallback, useEffect, useRef } from "react";

/**
 * Filters, sort and paging live in the URL so a view can be shared and reloaded.
 * set({ role: "pmo", cursor: undefined }) replaces those params and keeps the rest.
 * Two changes in quick succession both count: each builds on the URL the previous one asked
 * for, not on the one the router has not rendered yet.
 */
export function useUrlState() {
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const pending = useRef<string | null>(null);
  const current = params.toString();
  useEffect(() => {
    pending.current = null;
  }, [current]);
  const set = useCallback(
    (changes: Record<string, string | undefined | null>, opts: { push?: boolean } = {}) => {
      const next = new URLSearchParams(pending.current ?? current);
      for (const [k, v] of Object.entries(changes)) {
        if (v === undefined || v === null || v === "") next.delete(k);
        else next.set(k, v);
      }
      const qs = next.toString();
      pending.current = qs;
      const href = qs ? `${pathname}?${qs}` : pathname;
      if (opts.push) router.push(href, { scroll: false });
      else router.replace(href, { scroll: false });
    },
    [current, pathname, router],
  );
  return { params, set };
}
