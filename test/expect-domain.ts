import { expect } from "vitest";
import { DomainError } from "../src/server/services/errors";

/** Awaits a call that must be refused with a DomainError of this kind (and message), and returns the error. */
export async function expectDomain(p: Promise<unknown>, kind: DomainError["kind"], message?: RegExp): Promise<DomainError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, "expected the call to be refused").toBeInstanceOf(DomainError);
  expect((err as DomainError).kind).toBe(kind);
  if (message) expect((err as DomainError).message).toMatch(message);
  return err as DomainError;
}
