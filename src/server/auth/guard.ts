import "server-only";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { area, type AreaKey } from "@/lib/areas";
import { hasAnyRole } from "./roles";
import { getSession, type AppSession } from "./session";

/** The session, or a redirect to sign-in that comes back to this page afterwards. */
export async function requireSession(): Promise<AppSession> {
  const session = await getSession();
  if (!session) {
    const path = (await headers()).get("x-pathname");
    redirect(`/signin?reason=expired${path && path !== "/" ? `&callbackUrl=${encodeURIComponent(path)}` : ""}`);
  }
  return session;
}

/** For a page: the session when the user may open the area, else null (render Forbidden). */
export async function sessionForArea(key: AreaKey): Promise<{ session: AppSession; allowed: boolean }> {
  const session = await requireSession();
  return { session, allowed: hasAnyRole(session.user.roles, area(key).roles) };
}
