import "server-only";
import { cache } from "react";
import type { Session } from "next-auth";
import { auth } from "./config";

export type AppSession = Session & { user: Session["user"] };

/** The signed-in user's session for this request (null when signed out), read once per request. */
export const getSession = cache(async (): Promise<AppSession | null> => {
  const session = await auth();
  return session?.user?.id ? (session as AppSession) : null;
});
