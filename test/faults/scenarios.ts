/**
 * The six scenarios, each with a seed of its own (the firm, the people's choices and the faults
 * all derive from it). Sizes are the CI run's; FAULTS_FULL=1 triples the rounds, doubles the
 * operations and uses a bigger firm (scenario.ts).
 */
import { afterAll, expect, it } from "vitest";
import { describe as describeViolation } from "./checker";
import { runScenario, type ScenarioSpec } from "./scenario";
import type { World } from "./world";

const HARVEST_WIRE = { serverErrorRate: 0.1, rateLimitRate: 0.05, retryAfterSeconds: 1, latencyMs: 5, jitterMs: 20 };

export const SCENARIOS = {
  s1: {
    id: "s1-edits-lost-creates",
    title: "source edits (hours, project, task) while create answers are lost and 5xx bursts",
    seed: 101,
    workers: 2,
    rounds: 12,
    roundMs: 1500,
    ops: [5, 9],
    steps: [
      { op: "hours", pick: "posted", weight: 4 },
      { op: "project", pick: "posted", weight: 2 },
      { op: "task", pick: "posted", weight: 2 },
      { op: "hours", pick: "recent", weight: 2 },
      { op: "approve", pick: "submitted", weight: 1 },
      { op: "hours", pick: "fresh", weight: 2 },
    ],
    erp: {
      base: { create: { lostResponseRate: 0.25, latencyMs: 20, jitterMs: 40 }, reverse: { lostResponseRate: 0.05, latencyMs: 20 }, read: { serverErrorRate: 0.03 } },
      // short enough that the circuit breaker seldom opens (it would stop all sending for 30 s)
      burst: { every: 5, length: 1, faults: { create: { serverErrorRate: 0.3, lostResponseRate: 0.15 }, reverse: { serverErrorRate: 0.3 } } },
    },
    harvest: HARVEST_WIRE,
  },
  s2: {
    id: "s2-edits-lost-reversals",
    title: "source edits while reversal answers are lost",
    seed: 202,
    workers: 2,
    rounds: 12,
    roundMs: 1500,
    ops: [5, 9],
    steps: [
      { op: "hours", pick: "posted", weight: 4 },
      { op: "project", pick: "posted", weight: 2 },
      { op: "task", pick: "posted", weight: 1 },
      { op: "hours", pick: "recent", weight: 3 },
      { op: "task", pick: "recent", weight: 1 },
    ],
    erp: {
      base: { reverse: { lostResponseRate: 0.3, latencyMs: 30, jitterMs: 40 }, create: { lostResponseRate: 0.05, serverErrorRate: 0.03, latencyMs: 10 } },
      burst: { every: 6, length: 1, faults: { reverse: { serverErrorRate: 0.2, resetRate: 0.1, lostResponseRate: 0.2 } } },
    },
    harvest: HARVEST_WIRE,
  },
  s3: {
    id: "s3-approval-withdrawn",
    title: "approval withdrawn after posting and given again; withdrawn before posting",
    seed: 303,
    workers: 2,
    rounds: 12,
    roundMs: 1500,
    ops: [4, 7],
    steps: [
      { op: "withdraw", pick: "posted", weight: 4 },
      { op: "reapprove", pick: "withdrawn", weight: 3 },
      { op: "approve", pick: "submitted", weight: 3 },
      { op: "withdraw", pick: "fresh", weight: 3 },
      { op: "hours", pick: "withdrawn", weight: 1 },
    ],
    erp: { base: { create: { lostResponseRate: 0.15, serverErrorRate: 0.05, latencyMs: 15 }, reverse: { lostResponseRate: 0.15, serverErrorRate: 0.05 } } },
    harvest: HARVEST_WIRE,
    // the ERP connector is paused for a while: approvals given and withdrawn meanwhile never reach the ERP
    pause: { round: 3, rounds: 3 },
  },
  s4: {
    id: "s4-deletions",
    title: "entries deleted in the source after posting",
    seed: 404,
    workers: 2,
    rounds: 10,
    roundMs: 1500,
    ops: [4, 7],
    steps: [
      { op: "delete", pick: "posted", weight: 4 },
      { op: "hours", pick: "posted", weight: 2 },
      { op: "delete", pick: "recent", weight: 2 },
      { op: "delete", pick: "approved", weight: 1 },
      { op: "approve", pick: "submitted", weight: 1 },
      { op: "delete", pick: "fresh", weight: 1 },
    ],
    erp: { base: { reverse: { lostResponseRate: 0.25, serverErrorRate: 0.05 }, create: { lostResponseRate: 0.1, serverErrorRate: 0.05 } } },
    harvest: HARVEST_WIRE,
    fullWalkEvery: 3,
  },
  s5: {
    id: "s5-erp-invoicing",
    title: "the ERP invoicing on its own schedule while edits, withdrawals and deletions arrive",
    seed: 505,
    workers: 2,
    rounds: 12,
    roundMs: 1500,
    ops: [5, 9],
    steps: [
      { op: "hours", pick: "posted", weight: 4 },
      { op: "project", pick: "posted", weight: 1 },
      { op: "withdraw", pick: "posted", weight: 2 },
      { op: "delete", pick: "posted", weight: 1 },
      { op: "reapprove", pick: "withdrawn", weight: 1 },
      { op: "hours", pick: "recent", weight: 1 },
      { op: "approve", pick: "submitted", weight: 1 },
    ],
    erp: { base: { create: { lostResponseRate: 0.15, serverErrorRate: 0.05 }, reverse: { lostResponseRate: 0.2, serverErrorRate: 0.05 } } },
    harvest: HARVEST_WIRE,
    billing: 0.35,
    readBackEvery: 3,
    fullWalkEvery: 4,
  },
  s6: {
    id: "s6-everything-workers-killed",
    title: "all of the above while worker processes are killed with SIGKILL and started again",
    seed: 606,
    workers: 3,
    rounds: 14,
    roundMs: 1500,
    ops: [5, 9],
    steps: [
      { op: "hours", pick: "posted", weight: 3 },
      { op: "project", pick: "posted", weight: 1 },
      { op: "task", pick: "posted", weight: 1 },
      { op: "hours", pick: "recent", weight: 2 },
      { op: "withdraw", pick: "posted", weight: 2 },
      { op: "reapprove", pick: "withdrawn", weight: 2 },
      { op: "approve", pick: "submitted", weight: 1 },
      { op: "withdraw", pick: "fresh", weight: 1 },
      { op: "delete", pick: "posted", weight: 1 },
    ],
    erp: {
      base: { create: { lostResponseRate: 0.15, serverErrorRate: 0.05, latencyMs: 20, jitterMs: 30 }, reverse: { lostResponseRate: 0.2, serverErrorRate: 0.05, latencyMs: 20 } },
      burst: { every: 6, length: 1, faults: { create: { serverErrorRate: 0.3 }, reverse: { serverErrorRate: 0.3 } } },
      // the ERP goes down at the end: the pipeline settles through its Retry-After and circuit breaker
      outage: { round: 13, rounds: 2 },
    },
    pause: { round: 4, rounds: 2 },
    harvest: HARVEST_WIRE,
    billing: 0.25,
    readBackEvery: 3,
    fullWalkEvery: 4,
    kills: 0.5,
  },
} satisfies Record<string, ScenarioSpec>;

/** One scenario as a test: run it, print its figures, and fail on any violation. */
export function scenarioTest(spec: ScenarioSpec) {
  const worlds: World[] = [];
  afterAll(async () => {
    for (const w of worlds) await w.dispose();
  });
  it(`${spec.id}: ${spec.title}`, async () => {
    const { result, report } = await runScenario(spec, { onWorld: (w) => worlds.push(w) });
    const shown = report.violations.slice(0, 5).map(describeViolation).join("\n");
    expect.soft(result.settle.quiet, "the pipeline settles once the faults stop").toBe(true);
    expect(report.violations.length, `violations of the invariant (first ones):\n${shown}`).toBe(0);
  });
}
