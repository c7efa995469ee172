import "server-only";
import { eq, sql } from "drizzle-orm";
import NextAuth, { CredentialsSignin, type NextAuthConfig } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { z } from "zod";
import { env } from "@/env";
import { getDb } from "../db/client";
import { users } from "../db/schema";
import { writeAudit } from "../services/audit/write";
import { systemActor } from "../services/context";
import { authenticate } from "./credentials";
import { isRole, type Role } from "./roles";
import { oidcProvider } from "./oidc";
import { endSessions, refreshClaims, type TokenClaims } from "./session-token";

declare module "next-auth" {
  interface User {
    /** set by the credentials provider: the session epoch the password was checked against */
    sessionEpoch?: number;
  }
  interface Session {
    user: {
      id: string;
      email: string;
      name: string;
      roles: Role[];
      scope: { entities: string[]; regions: string[] };
    };
  }
}

/** Shown for a wrong password, an unknown e-mail and a disabled account alike. */
export class InvalidCredentials extends CredentialsSignin {
  code = "invalid";
}
export class Throttled extends CredentialsSignin {
  constructor(readonly retryAfterSeconds: number) {
    super();
    this.code = `throttled:${retryAfterSeconds}`;
  }
}

const credentialsInput = z.object({ email: z.string().min(1).max(254), password: z.string().min(1).max(256) });

export function clientIp(headers: Headers): string | null {
  const forwarded = headers.get("x-forwarded-for")?.split(",")[0]?.trim();
  return forwarded || headers.get("x-real-ip") || null;
}

const limits = { idleMinutes: env.SESSION_IDLE_MINUTES, maxHours: env.SESSION_MAX_HOURS };

const providers: NextAuthConfig["providers"] = [
  Credentials({
    id: "credentials",
    name: "E-mail and password",
    credentials: { email: { label: "E-mail" }, password: { label: "Password", type: "password" } },
    async authorize(raw, request) {
      const parsed = credentialsInput.safeParse(raw);
      if (!parsed.success) throw new InvalidCredentials();
      const outcome = await authenticate(getDb(), {
        ...parsed.data,
        ip: clientIp(request.headers),
        correlationId: request.headers.get("x-correlation-id") ?? crypto.randomUUID(),
      });
      if (outcome.ok) {
        const { id, email, name, sessionEpoch } = outcome.user;
        return { id, email, name, sessionEpoch };
      }
      if (outcome.reason === "throttled") throw new Throttled(outcome.retryAfterSeconds);
      throw new InvalidCredentials();
    },
  }),
];

const sso = oidcProvider(env);
if (sso) providers.push(sso);

export const authConfig: NextAuthConfig = {
  providers,
  logger: {
    // a refused password is an expected outcome (audited), not a server error
    error(error) {
      if (error instanceof CredentialsSignin) return;
      console.error("[auth]", error);
    },
  },
  secret: env.AUTH_SECRET,
  trustHost: true,
  pages: { signIn: "/signin", error: "/signin" },
  // Idle limit: the token expires SESSION_IDLE_MINUTES after the last renewal; the
  // console renews it while the person is active (see ActivityKeepAlive).
  session: { strategy: "jwt", maxAge: env.SESSION_IDLE_MINUTES * 60 },
  callbacks: {
    async signIn({ account, profile }) {
      if (account?.provider !== "oidc") return true;
      // Single sign-on admits only people an admin has created here, and not disabled.
      const email = typeof profile?.email === "string" ? profile.email.toLowerCase() : null;
      if (!email) return false;
      const [user] = await getDb().select().from(users).where(eq(sql`lower(${users.email})`, email)).limit(1);
      const ok = Boolean(user && !user.disabledAt);
      await writeAudit(
        { db: getDb(), actor: ok ? { kind: "user", userId: user!.id, email, roles: user!.roles.filter(isRole) } : systemActor(`sign-in:${email}`), correlationId: crypto.randomUUID() },
        { action: ok ? "auth.sign_in" : "auth.sign_in_failed", entityType: "user", entityId: user?.id ?? null, after: { method: "oidc", email, ...(!ok && { why: user ? "account_disabled" : "unknown_account" }) } },
      );
      if (ok) await getDb().update(users).set({ lastSignInAt: sql`now()` }).where(eq(users.id, user!.id));
      return ok;
    },
    async jwt({ token, user, account }) {
      const claims = token as typeof token & TokenClaims;
      if (account && user) {
        // a new session: it lives as long as the user's session epoch stays what it is now
        claims.authTime = Math.floor(Date.now() / 1000);
        if (account.provider === "oidc") {
          const email = (user.email ?? "").toLowerCase();
          const [row] = await getDb()
            .select({ id: users.id, sessionEpoch: users.sessionEpoch })
            .from(users)
            .where(eq(sql`lower(${users.email})`, email))
            .limit(1);
          claims.uid = row?.id;
          claims.sv = row?.sessionEpoch;
        } else {
          claims.uid = user.id;
          claims.sv = user.sessionEpoch;
        }
      }
      return refreshClaims(getDb(), claims, limits);
    },
    session({ session, token }) {
      const t = token as typeof token & TokenClaims;
      return {
        ...session,
        user: {
          id: t.uid!,
          email: t.email ?? "",
          name: t.name ?? "",
          roles: t.roles ?? [],
          scope: { entities: t.scopeEntities ?? [], regions: t.scopeRegions ?? [] },
        },
      };
    },
  },
  events: {
    // Signing out ends every session of the user on the server (their session epoch moves
    // on), not only this browser's cookie: a copy of the cookie is refused from now on.
    async signOut(message) {
      const t = ("token" in message ? message.token : null) as (TokenClaims & Record<string, unknown>) | null;
      if (!t?.uid) return;
      await endSessions(getDb(), t, limits, { correlationId: crypto.randomUUID() });
    },
  },
};

export const { handlers, auth, signIn, signOut } = NextAuth(authConfig);
