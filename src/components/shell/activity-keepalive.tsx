"use client";

import { useEffect } from "react";

/**
 * Keeps the session alive while the person is actually working. The session token expires
 * after the idle limit; any key press, click or scroll renews it, at most once a minute,
 * by reading the session (which re-issues the token with a fresh expiry). A tab left open
 * with nobody at it expires. When the server says the session is over, go to sign-in.
 */
export function ActivityKeepAlive() {
  useEffect(() => {
    let last = Date.now();
    const renew = async () => {
      if (Date.now() - last < 60_000) return;
      last = Date.now();
      const res = await fetch("/api/auth/session", { cache: "no-store" }).catch(() => null);
      const body = res?.ok ? await res.json().catch(() => null) : null;
      if (res?.ok && !body) window.location.assign(`/signin?reason=expired&callbackUrl=${encodeURIComponent(location.pathname + location.search)}`);
    };
    const events = ["pointerdown", "keydown", "scroll"] as const;
    for (const e of events) window.addEventListener(e, renew, { passive: true });
    return () => {
      for (const e of events) window.removeEventListener(e, renew);
    };
  }, []);
  return null;
}
