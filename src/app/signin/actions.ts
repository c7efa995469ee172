"use server";

import { AuthError } from "next-auth";
import { signIn } from "@/server/auth/config";

export type SignInState = { error: string | null; email: string };

/** Only paths inside the console are followed after sign-in. */
function safeCallback(raw: FormDataEntryValue | null): string {
  const s = typeof raw === "string" ? raw : "";
  return s.startsWith("/") && !s.startsWith("//") ? s : "/";
}

export async function signInWithPassword(_prev: SignInState, form: FormData): Promise<SignInState> {
  const email = String(form.get("email") ?? "").trim();
  const password = String(form.get("password") ?? "");
  if (!email || !password) return { error: "Enter your e-mail and password.", email };
  try {
    await signIn("credentials", { email, password, redirectTo: safeCallback(form.get("callbackUrl")) });
    return { error: null, email };
  } catch (err) {
    if (err instanceof AuthError) {
      const code = (err as AuthError & { code?: string }).code ?? "";
      if (code.startsWith("throttled:")) {
        const seconds = Number(code.slice("throttled:".length)) || 30;
        const wait = seconds >= 90 ? `${Math.ceil(seconds / 60)} minutes` : `${seconds} seconds`;
        return { error: `Too many failed sign-ins. Try again in ${wait}.`, email };
      }
      return { error: "That e-mail and password do not match an active account.", email };
    }
    throw err; // the redirect that follows a successful sign-in
  }
}

export async function signInWithSso(form: FormData) {
  await signIn("oidc", { redirectTo: safeCallback(form.get("callbackUrl")) });
}
