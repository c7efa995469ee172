/**
 * Harvest-shaped payloads (API v2 TimeEntry and Expense objects) as the demo generator
 * plants them in raw_records, and the content hash of their material fields.
 *
 * The hash functions are the ones the Harvest normalizer must use too: a payload received
 * again with the same material fields must hash the same, or every re-sync would look like a
 * new version. (They belong with the Harvest connector once it exists; the generator is the
 * first user.)
 */
import Big from "big.js";
import { contentHash } from "../domain/idempotency";

type Ref = { id: number; name: string };

export type HarvestTimeEntry = {
  id: number;
  spent_date: string;
  hours: number;
  hours_without_timer: number;
  rounded_hours: number;
  notes: string | null;
  is_locked: boolean;
  locked_reason: string | null;
  is_closed: boolean;
  is_billed: boolean;
  timer_started_at: string | null;
  started_time: string | null;
  ended_time: string | null;
  is_running: boolean;
  billable: boolean;
  budgeted: boolean;
  billable_rate: number | null;
  cost_rate: number | null;
  created_at: string;
  updated_at: string;
  user: Ref;
  client: Ref & { currency: string };
  project: Ref & { code: string };
  task: Ref;
  user_assignment: {
    id: number;
    is_project_manager: boolean;
    is_active: boolean;
    budget: number | null;
    hourly_rate: number | null;
    created_at: string;
    updated_at: string;
  };
  task_assignment: {
    id: number;
    billable: boolean;
    is_active: boolean;
    hourly_rate: number | null;
    budget: number | null;
    created_at: string;
    updated_at: string;
  };
  invoice: { id: number; number: string } | null;
  external_reference: null | {
    id: string | null;
    group_id: string | null;
    account_id: string | null;
    permalink: string | null;
    service: string | null;
    service_icon_url: string | null;
  };
};

export type HarvestExpense = {
  id: number;
  spent_date: string;
  total_cost: number;
  units: number | null;
  notes: string | null;
  billable: boolean;
  is_closed: boolean;
  is_locked: boolean;
  is_billed: boolean;
  locked_reason: string | null;
  created_at: string;
  updated_at: string;
  user: Ref;
  client: Ref & { currency: string };
  project: Ref & { code: string };
  expense_category: { id: number; name: string; unit_name: string | null; unit_price: number | null };
  user_assignment: { id: number; is_project_manager: boolean; is_active: boolean; budget: number | null; hourly_rate: number | null };
  receipt: { url: string; file_name: string; file_size: number; content_type: string } | null;
  invoice: { id: number; number: string } | null;
};

/** The fields whose change makes a new version of a time entry. */
export function harvestTimeEntryMaterial(p: HarvestTimeEntry) {
  return {
    spent_date: p.spent_date,
    hours: new Big(p.hours).toFixed(2),
    notes: p.notes ?? null,
    billable: p.billable,
    user_id: String(p.user.id),
    project_id: String(p.project.id),
    task_id: String(p.task.id),
    is_closed: p.is_closed,
  };
}

export function harvestTimeEntryHash(p: HarvestTimeEntry): string {
  return contentHash(harvestTimeEntryMaterial(p));
}

/** The fields whose change makes a new version of an expense. */
export function harvestExpenseMaterial(p: HarvestExpense) {
  return {
    spent_date: p.spent_date,
    total_cost: new Big(p.total_cost).toFixed(2),
    notes: p.notes ?? null,
    billable: p.billable,
    user_id: String(p.user.id),
    project_id: String(p.project.id),
    expense_category_id: String(p.expense_category.id),
    is_closed: p.is_closed,
  };
}

export function harvestExpenseHash(p: HarvestExpense): string {
  return contentHash(harvestExpenseMaterial(p));
}

/** Harvest writes timestamps without milliseconds: "2026-05-11T09:14:00Z". */
export function harvestTimestamp(iso: string): string {
  return iso.replace(/\.\d{3}Z$/, "Z");
}

export const LOCKED_REASON_APPROVED = "Item Approved and Locked for this Time Period";
