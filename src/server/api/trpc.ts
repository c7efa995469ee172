import { initTRPC, TRPCError } from "@trpc/server";
import { log } from "../log";
import superjson from "superjson";
import { ZodError, ZodRealError, z } from "zod";
import type { Db } from "../db/client";
import type { Role } from "../auth/roles";
import { hasAnyRole } from "../auth/roles";
import type { Scope } from "../auth/scope";
import { DomainError, type DomainErrorKind } from "../services/errors";
import { controlProblem, findControlIn, pathText } from "@/lib/control-chars";
import type { ServiceCtx } from "../services/context";

/** The signed-in user as the server sees them, reloaded from the database each request. */
export type SessionUser = {
  id: string;
  email: string;
  name: string;
  roles: Role[];
  scope: Scope;
};

export type Context = {
  db: Db;
  user: SessionUser | null;
  correlationId: string;
  ip: string | null;
};

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error, ctx }) {
    const zod = error.cause instanceof ZodError ? error.cause : null;
    return {
      ...shape,
      message: zod ? describeZodError(zod) : shape.message,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        correlationId: ctx?.correlationId,
        fieldErrors: zod ? z.flattenError(zod).fieldErrors : undefined,
        details: error.cause instanceof DomainError ? error.cause.details : undefined,
      },
    };
  },
});

/** "email: enter a valid e-mail address; roles: a user needs at least one role" */
export function describeZodError(err: ZodError): string {
  return err.issues
    .map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message))
    .join("; ");
}

const CODES: Record<DomainErrorKind, TRPCError["code"]> = {
  not_found: "NOT_FOUND",
  conflict: "CONFLICT",
  invalid: "BAD_REQUEST",
  forbidden: "FORBIDDEN",
  unauthorized: "UNAUTHORIZED",
};

/**
 * The one place errors cross into tRPC: domain errors keep their message; anything else
 * is logged with its correlation id and answered with a message that leaks nothing.
 */
const mapErrors = t.middleware(async ({ next, ctx, path }) => {
  const result = await next();
  if (!result.ok) {
    const err = result.error;
    if (err.cause instanceof DomainError) {
      throw new TRPCError({ code: CODES[err.cause.kind], message: err.cause.message, cause: err.cause });
    }
    if (err.code === "INTERNAL_SERVER_ERROR") {
      log.error("request failed", { correlationId: ctx.correlationId, path, err: err.cause ?? err });
      throw new TRPCError({
        code: "INTERNAL_SERVER_ERROR",
        message: `Something went wrong on our side. Quote reference ${ctx.correlationId} when you report it.`,
      });
    }
  }
  return result;
});

/**
 * Input whose text holds a character text cannot hold (U+0000, which PostgreSQL refuses in
 * text and jsonb alike, another control character, half of a character) is refused before
 * any schema reads it: 400, naming the field, like any other invalid input. Tab and line
 * breaks pass here: notes and reasons span lines.
 */
const refuseControlCharacters = t.middleware(async ({ next, getRawInput }) => {
  const hit = findControlIn(await getRawInput());
  if (hit) {
    const message = `${hit.key ? "a field name " : ""}${controlProblem({ index: 0, code: hit.code })}; remove it and try again`;
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: hit.path.length ? `${pathText(hit.path)}: ${message}` : message,
      // a real Error (zod's ZodError is not one), so tRPC keeps it as the cause and the formatter lists the field
      cause: new ZodRealError([{ code: "custom", path: hit.path.map((p) => (typeof p === "number" ? p : escapeKey(p))), message, input: undefined }]),
    });
  }
  return next();
});
const escapeKey = (k: string) => pathText([k]);

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Anyone, signed in or not. */
export const publicProcedure = t.procedure.use(mapErrors).use(refuseControlCharacters);

/** Signed-in users; narrows ctx.user to non-null and builds the service context. */
export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to continue." });
  const user = ctx.user;
  const svc: ServiceCtx = {
    db: ctx.db,
    actor: { kind: "user", userId: user.id, email: user.email, roles: user.roles },
    correlationId: ctx.correlationId,
    ip: ctx.ip,
    log,
  };
  return next({ ctx: { ...ctx, user, svc } });
});

/** Signed-in users holding at least one of the roles; FORBIDDEN for everyone else. */
export function requireRole(...allowed: Role[]) {
  return authedProcedure.use(({ ctx, next }) => {
    if (!hasAnyRole(ctx.user.roles, allowed)) {
      throw new TRPCError({
        code: "FORBIDDEN",
        message: `This needs one of the roles: ${allowed.join(", ")}.`,
      });
    }
    return next();
  });
}

export const adminProcedure = requireRole("admin");
