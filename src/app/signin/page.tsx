import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { env } from "@/env";
import { getSession } from "@/server/auth/session";
import { landingFor } from "@/lib/areas";
import { Button } from "@/components/ui/button";
import { signInWithSso } from "./actions";
import { SignInForm } from "./signin-form";

export const metadata: Metadata = { title: "Sign in" };

const NOTICES: Record<string, string> = {
  expired: "Your session ended. Sign in again to continue.",
  AccessDenied: "Single sign-on worked, but there is no active Hourbridge account for that e-mail. Ask an admin.",
  Configuration: "Sign-in is not configured correctly on the server. Tell an admin.",
};

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<{ callbackUrl?: string; error?: string; reason?: string }>;
}) {
  const params = await searchParams;
  const session = await getSession();
  if (session) redirect(landingFor(session.user.roles));
  const callbackUrl = params.callbackUrl?.startsWith("/") ? params.callbackUrl : "/";
  const notice = NOTICES[params.reason ?? params.error ?? ""] ?? null;

  return (
    <main className="flex min-h-screen items-center justify-center bg-slate-100 px-4">
      <div className="w-full max-w-sm">
        <div className="mb-6 flex items-center justify-center gap-2">
          {/* eslint-disable-next-line @next/next/no-img-element */}
          <img src="/logo.svg" alt="" className="size-8" />
          <span className="text-xl font-semibold tracking-tight text-slate-900">Hourbridge</span>
        </div>
        <div className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
          <h1 className="mb-1 text-base font-semibold text-slate-900">Sign in</h1>
          <p className="mb-5 text-sm text-slate-600">Approved time, from time tracking to the invoice.</p>
          <SignInForm callbackUrl={callbackUrl} notice={notice} />
          {env.oidcEnabled && (
            <form action={signInWithSso} className="mt-4 border-t border-slate-200 pt-4">
              <input type="hidden" name="callbackUrl" value={callbackUrl} />
              <Button type="submit" variant="secondary" className="h-9 w-full">
                Continue with {env.AUTH_OIDC_NAME}
              </Button>
            </form>
          )}
        </div>
        <p className="mt-4 text-center text-xs text-slate-600">
          Sessions end after {env.SESSION_IDLE_MINUTES} minutes without activity and {env.SESSION_MAX_HOURS} hours after sign-in.
        </p>
      </div>
    </main>
  );
}
