import { describe, expect, it } from "vitest";
import { ENTRY_STATES, type EntryState } from "./enums";
import { canTransition, ENTRY_EVENTS, IllegalTransitionError, reachableFrom, transition, TRANSITIONS, type EntryEvent } from "./entry-state";

/** The life cycle written out as the business knows it: every allowed move, nothing else. */
const ALLOWED: [EntryState, EntryEvent, EntryState][] = [
  ["submitted", "submit", "submitted"],
  ["submitted", "approve", "approved"],
  ["submitted", "reject", "rejected"],
  ["submitted", "void", "void"],
  ["approved", "approve", "approved"],
  ["approved", "reject", "rejected"],
  ["approved", "reopen", "submitted"],
  ["approved", "post", "posted"],
  ["approved", "void", "void"],
  ["rejected", "submit", "submitted"],
  ["rejected", "approve", "approved"],
  ["rejected", "reject", "rejected"],
  ["rejected", "void", "void"],
  ["posted", "reject", "rejected"],
  ["posted", "reopen", "submitted"],
  ["posted", "post", "posted"],
  ["posted", "correct", "approved"],
  ["posted", "invoice", "billed"],
  ["posted", "void", "void"],
  ["billed", "invoice", "billed"],
  ["billed", "credit", "posted"],
  ["void", "void", "void"],
];

describe("entry state machine", () => {
  it("has a row for every state and a column for every event", () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...ENTRY_STATES].sort());
    for (const s of ENTRY_STATES) expect(Object.keys(TRANSITIONS[s]).sort()).toEqual([...ENTRY_EVENTS].sort());
  });

  it("allows exactly the business's moves", () => {
    const allowed = new Set(ALLOWED.map(([f, e]) => `${f}:${e}`));
    for (const from of ENTRY_STATES) {
      for (const event of ENTRY_EVENTS) {
        const expected = ALLOWED.find(([f, e]) => f === from && e === event)?.[2] ?? null;
        expect(TRANSITIONS[from][event], `${from} --${event}-->`).toBe(expected);
        expect(canTransition(from, event)).toBe(allowed.has(`${from}:${event}`));
      }
    }
  });

  it("names both the state and the event when a move is illegal", () => {
    expect(() => transition("billed", "void")).toThrow(IllegalTransitionError);
    expect(() => transition("billed", "void")).toThrow(/billed.*void|void.*billed/);
    try {
      transition("submitted", "post");
    } catch (err) {
      expect(err).toBeInstanceOf(IllegalTransitionError);
      expect((err as IllegalTransitionError).from).toBe("submitted");
      expect((err as IllegalTransitionError).event).toBe("post");
      expect((err as Error).message).toContain('"submitted"');
      expect((err as Error).message).toContain('"post"');
    }
  });

  it("never lets an invoiced entry change silently", () => {
    for (const e of ["submit", "approve", "reject", "reopen", "correct", "void"] as const) {
      expect(canTransition("billed", e)).toBe(false);
    }
  });

  it("a correction takes a posted entry back to approved so the new version posts", () => {
    expect(transition("posted", "correct")).toBe("approved");
    expect(transition(transition("posted", "correct"), "post")).toBe("posted");
  });

  it("an approval withdrawn or rejected after posting takes the entry out of approved (its posted version is reversed)", () => {
    expect(transition("posted", "reopen")).toBe("submitted");
    expect(transition("posted", "reject")).toBe("rejected");
  });

  it("every state is reachable from submitted, and void is final", () => {
    expect([...reachableFrom("submitted")].sort()).toEqual([...ENTRY_STATES].sort());
    expect([...reachableFrom("void")]).toEqual(["void"]);
  });
});
