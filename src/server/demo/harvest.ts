/**
 * Harvest-shaped payloads (API v2 TimeEntry and Expense objects) as the demo generator
 * plants them in raw_records, and the content hash of their material fields.
 *
 * The hashes are the ones ingest computes, so that the same payload pulled again after the
 * seed is recognised as unchanged (no new raw record, no new version).
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



/** expense_entries.content_hash, on the same principle. */
export function expenseMaterialHash(e: {
  spentOn: string;
  amount: string;
  billable: boolean;
  sourceUserId: string;
  sourceProjectId: string;
  category: string;
}): string {
  return contentHash({
    spentOn: e.spentOn,
    amount: new Big(e.amount).toFixed(2),
    billable: e.billable,
    user: e.sourceUserId,
    project: e.sourceProjectId,
    category: e.category,
  });
}

/** Harvest writes timestamps without milliseconds: "2026-05-11T09:14:00Z". */
export function harvestTimestamp(iso: string): string {
  return iso.replace(/\.\d{3}Z$/, "Z");
}

export const LOCKED_REASON_APPROVED = "Item Approved and Locked for this Time Period";

/** Raw payloads and entry versions are hashed exactly as ingest hashes them. */
export { payloadHash as rawPayloadHash, timeEntryMaterialHash } from "../domain/idempotency";
