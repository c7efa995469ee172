/**
 * Typed domain errors. Services throw these; the tRPC layer maps them to codes in one
 * place (server/api/trpc.ts). Their messages are written for the person at the screen.
 */
export type DomainErrorKind = "not_found" | "conflict" | "invalid" | "forbidden" | "unauthorized";

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "DomainError";
  }
}

export const notFound = (message: string) => new DomainError("not_found", message);
export const conflict = (message: string, details?: Record<string, unknown>) =>
  new DomainError("conflict", message, details);
export const invalid = (message: string, details?: Record<string, unknown>) =>
  new DomainError("invalid", message, details);
export const forbidden = (message: string) => new DomainError("forbidden", message);
