/**
 * Deterministic demo data: three legal entities, their customers, projects, people, rate
 * cards, periods and FX; the Harvest-shaped source objects and the mappings between the
 * two; six months of daily time with weekly approvals, posted and billed history; and dirt
 * planted on purpose, with a manifest saying exactly which exceptions validation must raise.
 *
 * Same seed and end date → the same data, byte for byte. No clock, no Math.random.
 *
 * Time entries are produced lazily (`timeEntryChunks`), so a benchmark can reach a million
 * and more without holding them in memory: every person-day is a pure function of
 * (seed, person, day), and the stream is walked twice — once here to total what the master
 * data depends on (invoice totals, billing caps, counts, the manifest), once by the loader.
 *
 * How the calendar is cut (E = endDate, "today"):
 *   - entries dated before E − 21 days are history: approved the Monday after their week,
 *     posted to the ERP (an accepted erp_postings row each), billable ones mostly billed;
 *   - entries from E − 21 to the Sunday before E's week are approved and wait for validation
 *     (a few weeks rejected, some rejected-then-resubmitted, some edited after approval);
 *   - entries of E's own week are submitted.
 *
 * What the planted dirt assumes of the validation rules (see src/sync/rules/types.ts):
 *   - reporting currency USD; FX is looked up for the project currency on the work date,
 *     latest rate within [day − 3, day] (an exact-day lookup gives the same result here);
 *   - bill rates are required for billable entries only; project rate wins over standard;
 *   - the period checked is the project's legal entity's (employees only ever work for
 *     projects of their own entity, so the employee's entity is the same);
 *   - committed amount on a capped project = bill amounts of posted and billed entries;
 *   - a duplicate pair flags only the later (higher) source id;
 *   - an entry whose own hours are invalid (≤ 0 or > 24) raises HOURS_INVALID for the entry
 *     and is not also counted into a person-day total;
 *   - rules that need the ERP project (status, bill rate, period, cap, FX) are skipped when
 *     the source project is unmapped; bill rate when the task is unmapped; cost rate when the
 *     user is unmapped.
 * generate.test.ts runs the real rules (src/sync/rules) over the generated data and
 * load.test.ts runs validation over the loaded database: both must yield the manifest.
 *
 * Hashes follow ingest (src/server/services/entries/ingest.ts), so that pulling the same
 * payloads again after the seed changes nothing: time_entries.content_hash is the material
 * hash (work date, hours, billable, user, project, task; notes are not material), and
 * raw_records.content_hash the hash of the whole payload. A new version therefore always
 * changes hours; a rejected week resubmitted with only new notes stays version 1.
 */
import Big from "big.js";
import { EXCEPTION_CODES, type ContractType, type EntryState, type ExceptionCode, type OwnerTeam, type ProjectStatus, type Region } from "../domain/enums";
import { canonicalPostingRequest } from "../domain/posting";
import { idempotencyKey } from "../domain/idempotency";
import { SUBJECTS } from "../../sync/rules/types";
import {
  addMonths,
  dayNum,
  firstOfMonth,
  isoAt,
  isoDay,
  isoFromMinutes,
  isWeekend,
  lastOfMonth,
  mondayOf,
  monthOf,
  monthsBetween,
} from "./dates";
import {
  expenseMaterialHash,
  harvestTimestamp,
  LOCKED_REASON_APPROVED,
  rawPayloadHash,
  timeEntryMaterialHash,
  type HarvestExpense,
  type HarvestTimeEntry,
} from "./harvest";
import {
  COMPANY_NAMES,
  EXPENSE_CATEGORIES,
  FIRST_NAMES,
  INTERNAL_NOTES,
  LAST_NAMES,
  NOTES_BY_PRACTICE,
  PROJECT_TEMPLATES,
} from "./names";
import { detUuid, rngFor } from "./prng";
import type {
  AccountingPeriodRow,
  BillRateRow,
  CostRateRow,
  CustomerRow,
  DemoCounts,
  DemoManifest,
  EmployeeRow,
  ErpPostingRow,
  ExpenseBundle,
  FxRateRow,
  IdMappingRow,
  InvoiceLineRow,
  InvoiceRow,
  LaborCategoryRow,
  LegalEntityRow,
  MilestoneRow,
  PlantedProblem,
  ProjectRow,
  SourceRefRow,
  StateCounts,
  TimeEntryBundle,
} from "./types";

export type GenerateOptions = {
  seed?: number;
  consultants?: number;
  projects?: number;
  months?: number;
  /** "today" of the demo, an ISO day; required so the generator never reads the clock */
  endDate: string;
};

export type DemoData = {
  options: Required<GenerateOptions>;
  calendar: {
    startDate: string;
    endDate: string;
    /** entries dated before this day are history (posted / billed) */
    historyBefore: string;
    /** Monday of endDate's week: entries from here on are submitted */
    currentWeekStart: string;
    closedPeriod: { entity: string; period: string };
    fxGap: { from: string; to: string; missingDays: string[]; failingDay: string };
  };
  legalEntities: LegalEntityRow[];
  customers: CustomerRow[];
  projects: ProjectRow[];
  milestones: MilestoneRow[];
  employees: EmployeeRow[];
  laborCategories: LaborCategoryRow[];
  billRates: BillRateRow[];
  costRates: CostRateRow[];
  accountingPeriods: AccountingPeriodRow[];
  fxRates: FxRateRow[];
  sourceRefs: SourceRefRow[];
  idMappings: IdMappingRow[];
  invoices: InvoiceRow[];
  /** invoice lines not tied to a time entry (milestones); time-entry lines come with the chunks, expense lines with the expenses */
  invoiceLines: InvoiceLineRow[];
  expenses: ExpenseBundle[];
  /** the time entries, in source-id order, `size` at a time; can be iterated again */
  timeEntryChunks(size?: number): Generator<TimeEntryBundle[]>;
  counts: DemoCounts;
  manifest: DemoManifest;
};

// ---------------------------------------------------------------------------------------
// Fixed vocabulary

type EntityCode = "US01" | "UK01" | "SG01";
const ENTITY_DEFS: { code: EntityCode; name: string; currency: string; country: string; region: Region; erp: string; sla: number }[] = [
  { code: "US01", name: "Northwind Partners Inc.", currency: "USD", country: "US", region: "NA", erp: "2", sla: 24 },
  { code: "UK01", name: "Northwind Partners Ltd", currency: "GBP", country: "GB", region: "EMEA", erp: "3", sla: 24 },
  { code: "SG01", name: "Northwind Partners Pte. Ltd.", currency: "SGD", country: "SG", region: "APAC", erp: "4", sla: 48 },
];
const CURRENCIES = ["USD", "GBP", "SGD"] as const;
/** rate cards and costs in GBP and SGD, from the USD card */
const CURRENCY_FACTOR: Record<string, string> = { USD: "1", GBP: "0.8", SGD: "1.35" };

const CATEGORY_DEFS: { code: string; name: string; billable: boolean; usd: number; costUsd: number; weight: number }[] = [
  { code: "PRIN", name: "Principal", billable: true, usd: 325, costUsd: 165, weight: 6 },
  { code: "ARCH", name: "Architect", billable: true, usd: 265, costUsd: 128, weight: 10 },
  { code: "PM", name: "Project Manager", billable: true, usd: 225, costUsd: 108, weight: 10 },
  { code: "SRCON", name: "Senior Consultant", billable: true, usd: 210, costUsd: 96, weight: 24 },
  { code: "CON", name: "Consultant", billable: true, usd: 175, costUsd: 78, weight: 26 },
  { code: "DS", name: "Data Scientist", billable: true, usd: 235, costUsd: 112, weight: 8 },
  { code: "ANL", name: "Analyst", billable: true, usd: 140, costUsd: 58, weight: 16 },
  { code: "INT", name: "Internal", billable: false, usd: 0, costUsd: 0, weight: 0 },
  { code: "PRE", name: "Pre-sales", billable: false, usd: 0, costUsd: 0, weight: 0 },
];
/** the category with no standard SGD rate (BILL_RATE_MISSING) */
const NO_SGD_RATE = "DS";
/** source tasks with no labor category mapping (TASK_UNMAPPED) */
const EXTRA_TASKS = ["Workshop Facilitation", "Data Migration"];

const MILESTONE_NAMES = ["Discovery and design sign-off", "Build complete", "User acceptance", "Go-live", "Hypercare exit"];

/** fixed-date public holidays (MM-DD) on which nobody of the entity logs time */
const HOLIDAYS: Record<EntityCode, string[]> = {
  US01: ["01-01", "07-04", "12-25"],
  UK01: ["01-01", "12-25", "12-26"],
  SG01: ["01-01", "05-01", "08-09", "12-25"],
};

const EMAIL_DOMAIN = "northwind.example";
const SEED_ACTOR = "system:seed";
const TIME_ID_BASE = 2_400_000_000;
/** late and duplicate entries were created after everything else: higher ids */
const EXTRA_TIME_ID_BASE = 2_490_000_000;
/** expense ids live apart from time entry ids: the idempotency key does not name the object type */
const EXPENSE_ID_BASE = 1_800_000_000;

// ---------------------------------------------------------------------------------------
// Internal model

type Ent = { idx: number; code: EntityCode; id: string; name: string; currency: string; country: string; region: Region; erpSubsidiaryId: string; sla: number };
type Task = { idx: number; harvestId: string; name: string; cat: Cat | null; billable: boolean };
type Cat = { idx: number; id: string; code: string; name: string; billable: boolean; erpItemId: string; usd: number; costUsd: number; weight: number; task: Task };
type Cust = { idx: number; id: string; erpId: string; harvestId: string; name: string; short: string; ent: Ent };
type ProjRole = "normal" | "completed" | "unmapped" | "on_hold" | "closed" | "burst";
type Piece = { id: string; from: number; to: number | null; rate: string };
type Ms = { idx: number; id: string; erpId: string; name: string; amount: string; dueDay: number; invoiceDay: number; billed: boolean; invoiceKey: string };
type Proj = {
  idx: number;
  id: string;
  erpId: string;
  harvestId: string;
  code: string;
  name: string;
  cust: Cust;
  ent: Ent;
  businessUnit: string;
  practice: string;
  contractType: ContractType;
  status: ProjectStatus;
  role: ProjRole;
  mapped: boolean;
  startDay: number;
  endDay: number | null;
  /** the days people log time to it (planted projects keep receiving time after they stop being active) */
  genStart: number;
  genEnd: number;
  rates: Map<number, Piece[]>;
  milestones: Ms[];
  billingCap: string | null;
  createdDay: number;
};
type EmpRole = "normal" | "carrier" | "unmapped_user" | "cost_rate_missing";
type Emp = {
  idx: number;
  id: string;
  erpId: string;
  harvestId: string;
  first: string;
  last: string;
  name: string;
  email: string;
  ent: Ent;
  practice: string;
  department: string;
  costCenter: string;
  capacity: string;
  dailyQ: number;
  primary: Cat;
  hireDay: number;
  role: EmpRole;
  mapped: boolean;
  main: Proj;
  secondary: Proj[];
  forced: Proj[];
  costRates: Piece[];
  approver: string;
};
type Tag = "zero" | "over" | "pday" | "dup-a" | "dup" | "task" | "ds" | "late";
type Draft = { proj: Proj; task: Task; q: number; notes: string; tag?: Tag };
type Extra = { emp: Emp; day: number; draft: Draft; createdAt: number; submittedAt: number; approvedAt: number };
type Money = { rate: string | null; amount: string };
type Core = {
  sourceId: string;
  emp: Emp;
  day: number;
  d: Draft;
  billable: boolean;
  state: EntryState;
  version: number;
  /** minutes since the epoch */
  createdAt: number;
  updatedAt: number;
  submittedAt: number | null;
  approvedAt: number | null;
  rejectedAt: number | null;
  postedAt: number | null;
  billedAt: number | null;
  attempts: number;
  /** the payload received before the current one (rejected, or approved and then edited) */
  prev: { q: number; notes: string; isClosed: boolean; updatedAt: number } | null;
  bill: Money | null;
  cost: Money | null;
  invoiceKey: string | null;
  erpSeq: number | null;
};

type G = {
  seed: number;
  S: number;
  E: number;
  now: number;
  cutoff: number;
  cm: number;
  fxDay: number;
  /** weekdays before the FX day on which the UK office is closed (no GBP time needs a rate) */
  ukHolidays: Set<number>;
  closedMonth: string;
  rateChangeDay: number;
  ents: Ent[];
  cats: Cat[];
  tasks: Task[];
  internal: Cat;
  custs: Cust[];
  projs: Proj[];
  emps: Emp[];
  standard: Map<string, Piece[]>;
  plan: Plan;
  amountCache: Map<string, string>;
};

type Plan = {
  overrides: Map<string, Draft[]>;
  patches: Map<string, (d: Draft) => Draft>;
  patchedDays: Set<string>;
  extras: Extra[];
  used: Set<string>;
  burst: Proj;
  dsProject: Proj;
  dsCat: Cat;
  extraTasks: Task[];
};

// ---------------------------------------------------------------------------------------
// Small helpers

const MIN = 1440;
const round5 = (x: Big) => x.div(5).round(0, Big.roundHalfUp).times(5).toFixed(2);
const pctOf = (x: Big | string, percent: number) => new Big(x).times(percent).div(100);
const hoursOf = (q: number) => (q / 4).toFixed(2);
const isoTs = (minutes: number) => isoFromMinutes(minutes);
const harvestTs = (minutes: number) => harvestTimestamp(isoFromMinutes(minutes));

function pieceOn(pieces: Piece[] | undefined, day: number): Piece | null {
  if (!pieces) return null;
  for (const p of pieces) if (p.from <= day && (p.to === null || day <= p.to)) return p;
  return null;
}

function isHoliday(g: G, ent: Ent, day: number): boolean {
  if (ent.code === "UK01" && g.ukHolidays.has(day)) return true;
  return isFixedHoliday(ent.code, day);
}

function isFixedHoliday(code: EntityCode, day: number): boolean {
  return HOLIDAYS[code].includes(isoDay(day).slice(5));
}

function amount(g: G, q: number, rate: string): string {
  const key = `${q}|${rate}`;
  let a = g.amountCache.get(key);
  if (a === undefined) {
    a = new Big(rate).times(q).div(4).toFixed(2);
    g.amountCache.set(key, a);
  }
  return a;
}

function billRateOn(g: G, proj: Proj, cat: Cat, day: number): string | null {
  return (pieceOn(proj.rates.get(cat.idx), day) ?? pieceOn(g.standard.get(`${cat.idx}|${proj.ent.currency}`), day))?.rate ?? null;
}

function shortName(name: string): string {
  return name.split(/[\s&]+/)[0] ?? name;
}

function emptyStates(): StateCounts {
  return { submitted: 0, approved: 0, rejected: 0, posted: 0, billed: 0, void: 0 };
}

// ---------------------------------------------------------------------------------------
// Master data

function buildMaster(opts: Required<GenerateOptions>): G {
  const { seed } = opts;
  const E = dayNum(opts.endDate);
  if (opts.months < 2) throw new Error("generateDemo: months must be at least 2 (history, a closed period and recent weeks)");
  if (opts.consultants < 20) throw new Error("generateDemo: consultants must be at least 20 to plant every problem");
  if (opts.projects < 15) throw new Error("generateDemo: projects must be at least 15 to plant every problem");
  const S = addMonths(E, -opts.months) + 1;
  const cm = mondayOf(E);
  const cutoff = E - 21;
  // the FX gap ends on the first UK working day of the last approved week; the UK office
  // does not work on the weekdays of the three days before it, so no GBP time but the FX
  // day's needs a rate from the gap (whether the rule looks back three days or not)
  let fxDay = cm - 7;
  while (isFixedHoliday("UK01", fxDay)) fxDay++;
  const ukHolidays = new Set<number>();
  for (let d = fxDay - 3; d < fxDay; d++) if (!isWeekend(d)) ukHolidays.add(d);
  const closedMonth = monthOf(addMonths(firstOfMonth(monthOf(cutoff)), -1));
  const rateChangeDay = firstOfMonth(monthOf(addMonths(S, Math.floor(opts.months / 2))));

  const g: G = {
    seed,
    S,
    E,
    now: E * MIN + 20 * 60,
    cutoff,
    cm,
    fxDay,
    ukHolidays,
    closedMonth,
    rateChangeDay,
    ents: [],
    cats: [],
    tasks: [],
    internal: undefined as unknown as Cat,
    custs: [],
    projs: [],
    emps: [],
    standard: new Map(),
    plan: undefined as unknown as Plan,
    amountCache: new Map(),
  };

  // legal entities
  g.ents = ENTITY_DEFS.map((d, idx) => ({
    idx,
    code: d.code,
    id: detUuid(seed, "entity", d.code),
    name: d.name,
    currency: d.currency,
    country: d.country,
    region: d.region,
    erpSubsidiaryId: d.erp,
    sla: d.sla,
  }));
  const ent = (code: EntityCode) => g.ents.find((e) => e.code === code)!;

  // labor categories and source tasks
  g.cats = CATEGORY_DEFS.map((d, idx) => {
    const task: Task = { idx, harvestId: String(17_890_000 + idx * 11), name: d.name, cat: null, billable: d.billable };
    const cat: Cat = { idx, id: detUuid(seed, "labor", d.code), code: d.code, name: d.name, billable: d.billable, erpItemId: String(80 + idx), usd: d.usd, costUsd: d.costUsd, weight: d.weight, task };
    task.cat = cat;
    return cat;
  });
  g.internal = g.cats.find((c) => c.code === "INT")!;
  const extraTasks: Task[] = EXTRA_TASKS.map((name, i) => ({
    idx: g.cats.length + i,
    harvestId: String(17_890_000 + (g.cats.length + i) * 11),
    name,
    cat: null,
    billable: true,
  }));
  g.tasks = [...g.cats.map((c) => c.task), ...extraTasks];

  // standard rate cards: USD and GBP change at rateChangeDay, SGD does not; no SGD rate for DS
  const cardStart = firstOfMonth(monthOf(S - 365));
  for (const cat of g.cats) {
    if (!cat.billable) continue;
    for (const cur of CURRENCIES) {
      if (cur === "SGD" && cat.code === NO_SGD_RATE) continue;
      const v1 = round5(new Big(cat.usd).times(CURRENCY_FACTOR[cur]!));
      const pieces: Piece[] =
        cur === "SGD"
          ? [{ id: detUuid(seed, "std-rate", cat.code, cur, 1), from: cardStart, to: null, rate: v1 }]
          : [
              { id: detUuid(seed, "std-rate", cat.code, cur, 1), from: cardStart, to: rateChangeDay - 1, rate: v1 },
              { id: detUuid(seed, "std-rate", cat.code, cur, 2), from: rateChangeDay, to: null, rate: round5(pctOf(v1, 104)) },
            ];
      g.standard.set(`${cat.idx}|${cur}`, pieces);
    }
  }

  // customers
  const rc = rngFor(seed, "customers");
  const nCust = Math.max(6, Math.round(opts.projects / 3.75));
  const custSplit: Record<EntityCode, number> = { US01: 0, UK01: 0, SG01: 0 };
  custSplit.US01 = Math.max(2, Math.round(nCust * 0.45));
  custSplit.SG01 = Math.max(2, Math.round(nCust * 0.25));
  custSplit.UK01 = Math.max(2, nCust - custSplit.US01 - custSplit.SG01);
  for (const e of g.ents) {
    const names = rc.shuffle(COMPANY_NAMES[e.code]);
    const suffixes = ["", " Group", " Holdings", " International", " Services"];
    for (let i = 0; i < custSplit[e.code]; i++) {
      const base = names[i % names.length]!;
      const name = base + suffixes[Math.floor(i / names.length) % suffixes.length]! + (i >= names.length * suffixes.length ? ` ${i}` : "");
      const idx = g.custs.length;
      g.custs.push({ idx, id: detUuid(seed, "customer", idx), erpId: String(1200 + idx), harvestId: String(8_100_000 + idx * 17), name, short: shortName(base), ent: e });
    }
  }

  buildProjects(g, opts);
  buildEmployees(g, opts);
  g.plan = plantProblems(g, extraTasks);
  buildRates(g);
  return g;
}

function buildProjects(g: G, opts: Required<GenerateOptions>) {
  const { seed, S, E, cm, cutoff } = g;
  const r = rngFor(seed, "projects");
  const n = opts.projects;
  const split: Record<EntityCode, number> = { US01: 0, UK01: 0, SG01: 0 };
  split.US01 = Math.max(7, Math.round(n * 0.45));
  split.SG01 = Math.max(4, Math.round(n * 0.25));
  split.UK01 = n - split.US01 - split.SG01;
  if (split.UK01 < 3) throw new Error("generateDemo: too few projects for three entities");

  // four-digit codes while they suffice, five digits for benchmark-sized firms
  const codes = n <= 8000 ? r.shuffle(Array.from({ length: 9000 }, (_, i) => 1000 + i)) : r.shuffle(Array.from({ length: 90_000 }, (_, i) => 10_000 + i));
  const usedNames = new Set<string>();
  const planted: Record<EntityCode, ProjRole[]> = {
    US01: ["unmapped", "unmapped", "on_hold", "closed", "burst"],
    UK01: [],
    SG01: ["unmapped", "on_hold"],
  };
  const firstTypes: Record<EntityCode, ContractType[]> = {
    US01: ["time_and_materials", "fixed_fee", "retainer", "capped"],
    UK01: ["time_and_materials", "capped", "fixed_fee", "retainer"],
    SG01: ["time_and_materials", "retainer", "capped", "fixed_fee"],
  };

  for (const e of g.ents) {
    const custs = g.custs.filter((c) => c.ent === e);
    const roles: ProjRole[] = [...planted[e.code]];
    while (roles.length < split[e.code]) roles.push("normal");
    let normalSeen = 0;
    roles.forEach((role, i) => {
      const idx = g.projs.length;
      const cust = custs[i % custs.length]!;
      const tpl = r.pick(PROJECT_TEMPLATES);
      let name = `${cust.short} ${r.pick(tpl.names)}`;
      for (let k = 2; usedNames.has(name); k++) name = `${cust.short} ${r.pick(tpl.names)}${k > 6 ? ` ${k}` : ""}`;
      usedNames.add(name);

      let contractType: ContractType = "time_and_materials";
      let status: ProjectStatus = "active";
      let startDay = S - r.int(20, 500);
      let endDay: number | null = null;
      let genEnd = E;
      let kind: ProjRole = role;
      if (role === "normal") {
        contractType =
          normalSeen < 4
            ? firstTypes[e.code][normalSeen]!
            : r.weighted<ContractType>([
                ["time_and_materials", 45],
                ["fixed_fee", 20],
                ["retainer", 15],
                ["capped", 20],
              ]);
        if (normalSeen >= 4) {
          const u = r.next();
          if (u < 0.06) {
            // finished before the recent weeks: closed, history only
            kind = "completed";
            status = "closed";
            startDay = S - r.int(60, 300);
            const span = cutoff - 21 - S;
            endDay = S + Math.max(7, Math.floor(span * (0.2 + r.next() * 0.6)));
            genEnd = endDay;
          } else if (u < 0.14) {
            // started within the range
            startDay = S + r.int(7, Math.max(8, Math.floor((cutoff - S) * 0.6)));
          }
        }
        normalSeen++;
      } else if (role === "unmapped") {
        startDay = cm - 14;
      } else if (role === "on_hold") {
        status = "on_hold";
      } else if (role === "closed") {
        status = "closed";
        endDay = cm - 10;
      } else if (role === "burst") {
        contractType = "capped";
      }
      g.projs.push({
        idx,
        id: detUuid(seed, "project", idx),
        erpId: String(5400 + idx * 3),
        harvestId: String(31_400_000 + idx * 23),
        code: `HV-${codes[idx % codes.length]}`,
        name,
        cust,
        ent: e,
        businessUnit: tpl.businessUnit,
        practice: tpl.practice,
        contractType,
        status,
        role: kind,
        mapped: role !== "unmapped",
        startDay,
        endDay,
        genStart: startDay,
        genEnd,
        rates: new Map(),
        milestones: [],
        billingCap: null,
        createdDay: startDay - r.int(3, 20),
      });
    });
  }

  // milestones of fixed-fee projects
  for (const p of g.projs) {
    if (p.contractType !== "fixed_fee") continue;
    const rm = rngFor(seed, "milestones", p.idx);
    const k = rm.int(3, 4);
    const value = new Big(rm.int(8, 40) * 10_000).times(CURRENCY_FACTOR[p.ent.currency]!);
    const from = Math.max(p.startDay, S - 60) + 30;
    const to = Math.max(from + 60, (p.endDay ?? E + 90) + 0);
    let allotted = new Big(0);
    for (let i = 0; i < k; i++) {
      const amountI = i === k - 1 ? value.minus(allotted) : value.times(rm.int(18, 32)).div(10_000).round(0, Big.roundDown).times(100);
      allotted = allotted.plus(amountI);
      const dueDay = from + Math.round(((i + 1) * (to - from)) / k);
      const invoiceDay = dueDay + 12;
      p.milestones.push({
        idx: i,
        id: detUuid(seed, "milestone", p.idx, i),
        erpId: String(9100 + p.idx * 5 + i),
        name: MILESTONE_NAMES[i] ?? `Milestone ${i + 1}`,
        amount: amountI.toFixed(2),
        dueDay,
        invoiceDay,
        billed: invoiceDay < E,
        invoiceKey: `ms|${p.idx}|${i}`,
      });
    }
  }
}

function buildEmployees(g: G, opts: Required<GenerateOptions>) {
  const { seed, S, cm, cutoff } = g;
  const r = rngFor(seed, "employees");
  const n = opts.consultants;
  const split: Record<EntityCode, number> = { US01: 0, UK01: 0, SG01: 0 };
  split.SG01 = Math.max(4, Math.round(n * 0.2));
  split.UK01 = Math.max(4, Math.round(n * 0.3));
  split.US01 = n - split.SG01 - split.UK01;
  if (split.US01 < 10) throw new Error("generateDemo: too few consultants for the US entity");

  const usedNames = new Set<string>();
  const usedEmails = new Set<string>();
  const billableCats = g.cats.filter((c) => c.billable);

  for (const e of g.ents) {
    const count = split[e.code];
    const roles: EmpRole[] = [];
    if (e.code === "US01") {
      roles.push("unmapped_user", "cost_rate_missing", "cost_rate_missing");
      const carriers = Math.min(8, Math.max(3, Math.round(count * 0.08)));
      for (let i = 0; i < carriers; i++) roles.push("carrier");
    } else if (e.code === "SG01") {
      roles.push("unmapped_user");
      const carriers = Math.min(4, Math.max(2, Math.round(count * 0.1)));
      for (let i = 0; i < carriers; i++) roles.push("carrier");
    }
    while (roles.length < count) roles.push("normal");
    // spread the special people through the list rather than at its head
    const order = r.shuffle(roles.map((_, i) => i));
    const roleAt: EmpRole[] = new Array(count);
    order.forEach((pos, i) => (roleAt[pos] = roles[i]!));

    const ongoing = g.projs.filter((p) => p.ent === e && p.role === "normal" && p.startDay <= S && p.endDay === null);
    const ongoingTm = ongoing.filter((p) => p.contractType === "time_and_materials");
    const secondaryPool = g.projs.filter((p) => p.ent === e && (p.role === "normal" || p.role === "completed"));
    if (ongoingTm.length === 0) throw new Error(`generateDemo: no ongoing T&M project in ${e.code}`);
    const mains = r.shuffle(ongoing);
    let mainCursor = 0;

    for (let i = 0; i < count; i++) {
      const idx = g.emps.length;
      const role = roleAt[i]!;
      let first = r.pick(FIRST_NAMES[e.code]);
      let last = r.pick(LAST_NAMES[e.code]);
      for (let k = 0; usedNames.has(`${first} ${last}`); k++) {
        first = r.pick(FIRST_NAMES[e.code]);
        last = r.pick(LAST_NAMES[e.code]);
        if (k > 20) last = `${last}-${r.pick(LAST_NAMES[e.code])}`;
      }
      usedNames.add(`${first} ${last}`);
      const local = `${first}.${last}`.toLowerCase().replace(/[^a-z.]/g, "");
      let email = `${local}@${EMAIL_DOMAIN}`;
      for (let k = 2; usedEmails.has(email); k++) email = `${local}${k}@${EMAIL_DOMAIN}`;
      usedEmails.add(email);

      const primary = r.weighted(
        billableCats.filter((c) => !(e.code === "SG01" && c.code === NO_SGD_RATE)).map((c) => [c, c.weight] as const),
      );
      const tpl = r.pick(PROJECT_TEMPLATES);
      const buCode = tpl.businessUnit === "Consulting" ? "CON" : tpl.businessUnit === "Digital" ? "DIG" : "MS";
      const pCode = tpl.practice.replace(/[^A-Z]/g, "").slice(0, 3) || "GEN";
      const capacityHours = r.chance(0.1) ? 32 : e.code === "UK01" ? 37.5 : 40;

      let hireDay = S - r.int(30, 2000);
      if (role === "unmapped_user") hireDay = cm - 14;
      else if (role === "normal" && r.chance(0.08)) hireDay = S + r.int(0, Math.max(1, cutoff - S - 14));

      let main: Proj;
      if (role === "normal") main = hireDay > S ? r.pick(ongoing) : mains[mainCursor++ % mains.length]!;
      else main = r.pick(ongoingTm);
      const secondary: Proj[] = [];
      if (role === "normal") {
        const k = r.weighted([
          [0, 30],
          [1, 45],
          [2, 25],
        ] as const);
        for (const p of r.sample(secondaryPool.filter((p) => p !== main), k)) secondary.push(p);
      }

      g.emps.push({
        idx,
        id: detUuid(seed, "employee", idx),
        erpId: String(300 + idx),
        harvestId: String(4_120_000 + idx * 13),
        first,
        last,
        name: `${first} ${last}`,
        email,
        ent: e,
        practice: tpl.practice,
        department: tpl.practice,
        costCenter: `${e.code}-${buCode}-${pCode}`,
        capacity: capacityHours.toFixed(2),
        dailyQ: Math.round((capacityHours * 4) / 5),
        primary,
        hireDay,
        role,
        mapped: role !== "unmapped_user",
        main,
        secondary,
        forced: [],
        costRates: [],
        approver: "",
      });
    }
  }
  // timesheet approvers: the first principal or project manager of each entity
  for (const e of g.ents) {
    const staff = g.emps.filter((x) => x.ent === e);
    const mgr = staff.find((x) => x.primary.code === "PRIN" && x.role === "normal") ?? staff.find((x) => x.primary.code === "PM") ?? staff[0]!;
    for (const x of staff) x.approver = x === mgr ? (staff.find((y) => y !== mgr)?.email ?? mgr.email) : mgr.email;
  }
}

function buildRates(g: G) {
  const { seed, S, E, cutoff } = g;
  // project-specific rates on about a quarter of the eligible projects (never on the
  // project that plants BILL_RATE_MISSING, nor on planted projects)
  const r = rngFor(seed, "project-rates");
  let changed = false;
  const changeDay2 = firstOfMonth(monthOf(S + Math.floor((cutoff - S) / 3)));
  for (const p of g.projs) {
    if (p.role !== "normal" || p === g.plan.dsProject || p.contractType === "fixed_fee") continue;
    if (!r.chance(0.25)) continue;
    const cats = g.cats.filter((c) => c.billable && g.standard.has(`${c.idx}|${p.ent.currency}`));
    for (const cat of r.sample(cats, r.int(1, 3))) {
      const std = g.standard.get(`${cat.idx}|${p.ent.currency}`)![0]!;
      const v1 = round5(pctOf(std.rate, r.int(88, 95)));
      if (!changed && p.startDay < changeDay2 && changeDay2 < g.cutoff) {
        changed = true;
        p.rates.set(cat.idx, [
          { id: detUuid(seed, "proj-rate", p.idx, cat.code, 1), from: p.startDay, to: changeDay2 - 1, rate: v1 },
          { id: detUuid(seed, "proj-rate", p.idx, cat.code, 2), from: changeDay2, to: null, rate: round5(pctOf(v1, 105)) },
        ]);
      } else {
        p.rates.set(cat.idx, [{ id: detUuid(seed, "proj-rate", p.idx, cat.code, 1), from: p.startDay, to: null, rate: v1 }]);
      }
    }
  }

  // cost rates: from hire; a raise mid-range for some; expired before the recent weeks for
  // the people planting COST_RATE_MISSING
  for (const e of g.emps) {
    const rr = rngFor(seed, "cost-rate", e.idx);
    const base = new Big(e.primary.costUsd).times(CURRENCY_FACTOR[e.ent.currency]!).times(rr.int(90, 110)).div(100);
    const v1 = base.toFixed(2);
    if (e.role === "cost_rate_missing") {
      e.costRates = [{ id: detUuid(seed, "cost-rate", e.idx, 1), from: e.hireDay, to: cutoff - 1, rate: v1 }];
      continue;
    }
    const months = monthsBetween(S, E).length;
    if (e.hireDay < S && months > 2 && rr.chance(0.3)) {
      const change = firstOfMonth(monthOf(addMonths(S, rr.int(1, months - 2))));
      e.costRates = [
        { id: detUuid(seed, "cost-rate", e.idx, 1), from: e.hireDay, to: change - 1, rate: v1 },
        { id: detUuid(seed, "cost-rate", e.idx, 2), from: change, to: null, rate: pctOf(v1, rr.int(103, 106)).toFixed(2) },
      ];
    } else {
      e.costRates = [{ id: detUuid(seed, "cost-rate", e.idx, 1), from: e.hireDay, to: null, rate: v1 }];
    }
  }
}

// ---------------------------------------------------------------------------------------
// One person-day of time, before any planted change

function baseDay(g: G, emp: Emp, day: number): Draft[] {
  if (day < emp.hireDay || isWeekend(day) || isHoliday(g, emp.ent, day)) return [];
  const r = rngFor(g.seed, "day", emp.idx, day);
  if (r.chance(0.04)) return []; // time off
  const active = (p: Proj) => day >= p.genStart && day <= p.genEnd;
  const projs: Proj[] = [];
  if (active(emp.main)) projs.push(emp.main);
  for (const p of emp.forced) if (active(p)) projs.push(p);
  if (projs.length === 0) return [];
  let n: number = r.weighted([
    [1, 25],
    [2, 50],
    [3, 25],
  ] as const);
  n = Math.min(3, Math.max(n, projs.length));
  for (const p of r.shuffle(emp.secondary.filter(active))) {
    if (projs.length >= n) break;
    projs.push(p);
  }

  // hours: a day of about the person's capacity, never over 10 h, in quarter hours
  let total = Math.max(2 * n, Math.min(40, emp.dailyQ + r.int(-3, 5)));
  total = Math.min(total, 32 * n);
  const parts = new Array<number>(n).fill(2);
  const weights = parts.map(() => r.int(1, 6));
  const wsum = weights.reduce((a, b) => a + b, 0);
  let rem = total - 2 * n;
  for (let i = 0; i < n; i++) {
    const add = Math.min(30, Math.floor(((total - 2 * n) * weights[i]!) / wsum));
    parts[i]! += add;
    rem -= add;
  }
  for (let i = 0; rem > 0 && i < 200; i++) {
    const j = i % n;
    if (parts[j]! < 32) {
      parts[j]! += 1;
      rem--;
    }
  }

  const drafts: Draft[] = [];
  for (let i = 0; i < n; i++) {
    const proj = projs[i] ?? emp.main;
    let task: Task;
    if (proj.role !== "normal" && proj.role !== "completed") task = emp.primary.task;
    else if (i < projs.length) task = r.weighted([
      [emp.primary.task, 88],
      [g.internal.task, 12],
    ] as const);
    else task = drafts[0]!.task === emp.primary.task ? g.internal.task : emp.primary.task;
    const notes = task.billable ? r.pick(NOTES_BY_PRACTICE[proj.practice] ?? INTERNAL_NOTES) : r.pick(INTERNAL_NOTES);
    drafts.push({ proj, task, q: parts[i]!, notes });
  }
  // never two entries of the same project and hours on one day
  for (let guard = 0; guard < 20; guard++) {
    const seen = new Set<string>();
    let clash = -1;
    drafts.forEach((d, i) => {
      const key = `${d.proj.idx}:${d.q}`;
      if (seen.has(key) && clash < 0) clash = i;
      seen.add(key);
    });
    if (clash < 0) break;
    const d = drafts[clash]!;
    d.q = d.q > 2 ? d.q - 1 : d.q + 1;
  }
  return drafts;
}

// ---------------------------------------------------------------------------------------
// The planted problems

function plantProblems(g: G, extraTasks: Task[]): Plan {
  const { seed, cutoff, cm, fxDay } = g;
  const r = rngFor(seed, "plan");
  const plan: Plan = {
    overrides: new Map(),
    patches: new Map(),
    patchedDays: new Set(),
    extras: [],
    used: new Set(),
    burst: g.projs.find((p) => p.role === "burst")!,
    dsProject: undefined as unknown as Proj,
    dsCat: g.cats.find((c) => c.code === NO_SGD_RATE)!,
    extraTasks,
  };
  const carriers = (code: EntityCode) => g.emps.filter((e) => e.ent.code === code && e.role === "carrier");
  const cUS = carriers("US01");
  const cSG = carriers("SG01");

  // the BILL_RATE_MISSING project: the first SG carrier's main project
  plan.dsProject = cSG[0]!.main;

  // staff the planted projects with carriers (each carrier at most two forced projects)
  const staff = (list: Emp[], projs: Proj[]) => {
    const per = Math.max(1, Math.min(2, Math.floor((list.length * 2) / projs.length)));
    let k = 0;
    for (const p of projs) {
      for (let s = 0; s < per; s++) {
        const e = list[k++ % list.length]!;
        if (e.forced.length >= 2 || e.forced.includes(p)) continue;
        e.forced.push(p);
      }
      if (!list.some((e) => e.forced.includes(p))) throw new Error(`generateDemo: nobody staffs planted project ${p.code}`);
    }
  };
  const plantedOf = (code: EntityCode) => g.projs.filter((p) => p.ent.code === code && !["normal", "completed"].includes(p.role));
  staff(cUS, plantedOf("US01"));
  staff(cSG, plantedOf("SG01"));

  // candidate days: the approved weeks, never the FX day
  const windowDays: number[] = [];
  for (let d = cutoff; d < cm; d++) if (!isWeekend(d) && d !== fxDay) windowDays.push(d);
  const closedDays: number[] = [];
  for (let d = Math.max(g.S, firstOfMonth(g.closedMonth)); d <= lastOfMonth(g.closedMonth); d++) if (!isWeekend(d)) closedDays.push(d);

  let cursor = 0;
  const trySlot = (list: Emp[], days: number[], ok: (e: Emp, day: number, base: Draft[]) => number | boolean) => {
    const shuffledDays = r.shuffle(days);
    for (let t = 0; t < list.length; t++) {
      const e = list[(cursor + t) % list.length]!;
      for (const day of shuffledDays) {
        const key = `${e.idx}:${day}`;
        if (plan.used.has(key) || day < e.hireDay || isHoliday(g, e.ent, day)) continue;
        const base = baseDay(g, e, day);
        const res = ok(e, day, base);
        if (res === false) continue;
        plan.used.add(key);
        cursor = (cursor + t + 1) % list.length;
        return { e, day, base, k: typeof res === "number" ? res : -1 };
      }
    }
    return null;
  };
  const slot = (list: Emp[], days: number[], ok: (e: Emp, day: number, base: Draft[]) => number | boolean) => {
    const s = trySlot(list, days, ok);
    if (!s) throw new Error("generateDemo: found no day to plant a problem on (sizes too small?)");
    return s;
  };
  const onMain = (e: Emp, base: Draft[]) => base.findIndex((d) => d.proj === e.main);
  const patch = (e: Emp, day: number, k: number, f: (d: Draft) => Draft) => {
    plan.patches.set(`${e.idx}:${day}:${k}`, f);
    plan.patchedDays.add(`${e.idx}:${day}`);
  };
  const note = (e: Emp, proj: Proj) => r.pick(NOTES_BY_PRACTICE[proj.practice] ?? INTERNAL_NOTES);

  // HOURS_INVALID: an entry of 0 h
  {
    const s = slot(cUS, windowDays, (e, _d, base) => {
      const k = onMain(e, base);
      return k >= 0 ? k : false;
    });
    patch(s.e, s.day, s.k, (d) => ({ ...d, q: 0, tag: "zero" }));
  }
  // HOURS_INVALID: an entry of 25 h, the person's only entry that day
  {
    const s = slot(cUS, windowDays, (_e, _d, base) => base.length > 0);
    plan.overrides.set(`${s.e.idx}:${s.day}`, [{ proj: s.e.main, task: s.e.primary.task, q: 100, notes: "Timer left running", tag: "over" }]);
  }
  // HOURS_INVALID: a person-day of 25 h in three valid entries
  {
    const s = slot(cUS, windowDays, (_e, _d, base) => base.length > 0);
    const e = s.e;
    plan.overrides.set(`${e.idx}:${s.day}`, [
      { proj: e.main, task: e.primary.task, q: 36, notes: note(e, e.main), tag: "pday" },
      { proj: e.main, task: e.primary.task, q: 34, notes: note(e, e.main), tag: "pday" },
      { proj: e.main, task: g.internal.task, q: 30, notes: r.pick(INTERNAL_NOTES), tag: "pday" },
    ]);
  }
  // DUPLICATE_SUSPECTED: three pairs (two US, one SG); the copy is the later source id
  for (const list of [cUS, cUS, cSG]) {
    const s = slot(list, windowDays, (e, _d, base) => {
      const k = onMain(e, base);
      return k >= 0 ? k : false;
    });
    const a = s.base[s.k]!;
    patch(s.e, s.day, s.k, (d) => ({ ...d, tag: "dup-a" }));
    const createdAt = s.day * MIN + 19 * 60 + r.int(0, 120);
    const week = mondayOf(s.day);
    plan.extras.push({
      emp: s.e,
      day: s.day,
      draft: { proj: a.proj, task: a.task, q: a.q, notes: a.notes, tag: "dup" },
      createdAt,
      submittedAt: (week + 4) * MIN + 22 * 60,
      approvedAt: approvalMinute(g, s.e, week),
    });
  }
  // TASK_UNMAPPED: two source tasks nobody mapped, used on a US and an SG day
  [cUS, cSG].forEach((list, i) => {
    const task = extraTasks[i]!;
    const s = slot(list, windowDays, (e, _d, base) => {
      const k = onMain(e, base);
      return k >= 0 ? k : false;
    });
    patch(s.e, s.day, s.k, (d) => ({ ...d, task, notes: `${task.name}: ${d.notes}`, tag: "task" }));
  });
  // BILL_RATE_MISSING: Data Scientist time on the SG project, where no SGD rate exists
  {
    const dsCarrier = cSG[0]!;
    for (let i = 0; i < 2; i++) {
      // two days when the carrier has them, at least one
      const find = i === 0 ? slot : trySlot;
      const s = find([dsCarrier], windowDays, (e, _d, base) => {
        const k = onMain(e, base);
        return k >= 0 ? k : false;
      });
      if (!s) break;
      patch(s.e, s.day, s.k, (d) => ({ ...d, task: plan.dsCat.task, notes: "Model evaluation and tuning", tag: "ds" }));
    }
  }
  // PERIOD_CLOSED: three entries logged late into the closed US month
  for (let i = 0; i < 3; i++) {
    const s = slot(cUS, closedDays, (_e, _d, base) => base.length > 0);
    const e = s.e;
    const taken = new Set(s.base.filter((d) => d.proj === e.main).map((d) => d.q));
    const total = s.base.reduce((a, d) => a + d.q, 0);
    const q = [6, 8, 10, 12, 14].find((x) => !taken.has(x) && total + x <= 96)!;
    const lateWeek = cm - 7;
    plan.extras.push({
      emp: e,
      day: s.day,
      draft: { proj: e.main, task: e.primary.task, q, notes: `Late entry: ${note(e, e.main)}`, tag: "late" },
      createdAt: (lateWeek + 3) * MIN + 14 * 60 + r.int(0, 120),
      submittedAt: (lateWeek + 4) * MIN + 18 * 60 + r.int(0, 120),
      approvedAt: approvalMinute(g, e, lateWeek),
    });
  }
  return plan;
}

/** When a person's week is approved: the Monday after, in the morning (UTC). */
function approvalMinute(g: G, emp: Emp, week: number): number {
  return (week + 7) * MIN + 8 * 60 + rngFor(g.seed, "approve", emp.idx, week).int(0, 240);
}

// ---------------------------------------------------------------------------------------
// Life cycle of one person-day

type Life = Omit<Core, "sourceId" | "emp" | "day" | "d" | "billable" | "bill" | "cost" | "erpSeq">;

function lifeOfDay(g: G, emp: Emp, day: number, drafts: Draft[]): Life[] {
  const week = mondayOf(day);
  const rw = rngFor(g.seed, "week", emp.idx, week);
  const submitFri = (week + 4) * MIN + 17 * 60 + rw.int(0, 300);
  const approvedAt = approvalMinute(g, emp, week);
  const isProtected = emp.role !== "normal";
  const r = rngFor(g.seed, "life", emp.idx, day);
  const out: Life[] = [];

  const rejectedWeek = !isProtected && week === g.cm - 7 && rngFor(g.seed, "rejected-week", emp.idx).chance(0.04);
  const resubmittedWeek = !isProtected && week === g.cm - 14 && rngFor(g.seed, "resubmitted-week", emp.idx).chance(0.05);

  const dayTotal = () => drafts.reduce((a, d) => a + d.q, 0);
  /** a correction: new notes, and other hours when asked and the day allows it (a new version) */
  const revise = (i: number, hours: boolean): { q: number; notes: string } => {
    const d = drafts[i]!;
    const notes = `${d.notes} (${r.pick(["corrected", "updated scope", "split from another entry", "per manager comment"])})`;
    if (hours) {
      for (const delta of r.shuffle([-2, -1, 1, 2])) {
        const newQ = d.q + delta;
        const ok =
          newQ >= 2 &&
          newQ <= 32 &&
          dayTotal() - d.q + newQ <= 40 &&
          !drafts.some((o, j) => j !== i && o.proj === d.proj && o.q === newQ);
        if (ok) return { q: newQ, notes };
      }
    }
    return { q: d.q, notes };
  };

  drafts.forEach((d, i) => {
    const createdAt = day * MIN + 12 * 60 + r.int(0, 240) + i * 7;
    const base: Life = {
      state: "approved",
      version: 1,
      createdAt,
      updatedAt: createdAt,
      submittedAt: null,
      approvedAt: null,
      rejectedAt: null,
      postedAt: null,
      billedAt: null,
      attempts: 0,
      prev: null,
      invoiceKey: null,
    };
    if (day >= g.cm) {
      out.push({ ...base, state: "submitted", submittedAt: createdAt });
      return;
    }
    const submittedAt = Math.max(submitFri, createdAt + 30);
    if (day < g.cutoff) {
      const u = r.next();
      const latency = u < 0.85 ? r.int(2, 90) : u < 0.95 ? r.int(120, 1200) : r.int(1500, 4320);
      const postedAt = approvedAt + latency;
      out.push({
        ...base,
        state: "posted",
        submittedAt,
        approvedAt,
        postedAt,
        updatedAt: postedAt,
        attempts: latency >= 120 ? r.int(2, 4) : 1,
      });
      return;
    }
    if (rejectedWeek) {
      out.push({ ...base, state: "rejected", submittedAt, rejectedAt: approvedAt, updatedAt: approvedAt });
      return;
    }
    if (resubmittedWeek) {
      // rejected on Monday, corrected (new hours on most entries: a new version) and approved by Wednesday
      const v2 = revise(i, r.chance(0.6));
      const resubmitted = approvedAt + MIN + 2 * 60 + r.int(0, 300);
      const reapproved = (week + 9) * MIN + 9 * 60 + rw.int(0, 180);
      const prev = { q: d.q, notes: d.notes, isClosed: false, updatedAt: approvedAt };
      const version = v2.q === d.q ? 1 : 2;
      d.q = v2.q;
      d.notes = v2.notes;
      out.push({ ...base, version, prev, submittedAt: resubmitted, rejectedAt: approvedAt, approvedAt: reapproved, updatedAt: reapproved });
      return;
    }
    if (!isProtected && week <= g.cm - 14 && r.chance(0.015)) {
      // edited after approval: other hours (a new version), approved again
      const v2 = revise(i, true);
      if (v2.q !== d.q) {
        const editedAt = (week + 8) * MIN + 10 * 60 + r.int(0, 360);
        const reapproved = Math.max(editedAt + 60, (week + 9) * MIN + 9 * 60 + r.int(0, 180));
        const prev = { q: d.q, notes: d.notes, isClosed: true, updatedAt: approvedAt };
        d.q = v2.q;
        d.notes = v2.notes;
        out.push({ ...base, version: 2, prev, submittedAt: editedAt, approvedAt: reapproved, updatedAt: reapproved });
        return;
      }
    }
    out.push({ ...base, submittedAt, approvedAt, updatedAt: approvedAt });
  });
  return out;
}

/** The invoice that bills a posted entry, if it has been billed by endDate. */
function billingOf(g: G, proj: Proj, day: number, postedAt: number, held: boolean): { key: string; at: number } | null {
  if (proj.contractType === "fixed_fee") {
    const ms = proj.milestones.find((m) => m.dueDay >= day);
    if (!ms || !ms.billed) return null;
    const at = ms.invoiceDay * MIN + 10 * 60;
    return at > postedAt ? { key: ms.invoiceKey, at } : null;
  }
  if (held) return null;
  const month = monthOf(day);
  const invoiceDay = firstOfMonth(monthOf(addMonths(firstOfMonth(month), 1))) + 11;
  if (invoiceDay >= g.E) return null;
  const at = invoiceDay * MIN + 10 * 60;
  return at > postedAt ? { key: `m|${proj.idx}|${month}`, at } : null;
}

function costRateOn(emp: Emp, day: number): string | null {
  return pieceOn(emp.costRates, day)?.rate ?? null;
}

/**
 * The source's own bill rate for a billable entry (Harvest's billable_rate): the ERP rate
 * when there is one, else the source's rate card (the ERP's first standard rate, computed
 * for every currency: Harvest has a Data Scientist rate in SGD even though the ERP lacks it).
 */
function sourceRate(g: G, c: Core): string | null {
  if (!c.billable) return null;
  if (c.bill?.rate) return c.bill.rate;
  const cat = c.d.task.cat ?? c.emp.primary;
  return round5(new Big(cat.usd).times(CURRENCY_FACTOR[c.d.proj.ent.currency]!));
}

/** Every time entry as a compact record, in source-id order. */
function* coreStream(g: G): Generator<Core> {
  let seq = 0;
  let erpSeq = 0;
  const finish = (emp: Emp, day: number, d: Draft, life: Life, sourceId: string): Core => {
    const billable = d.task.billable;
    const cat = d.task.cat;
    const billRate = billable && cat ? billRateOn(g, d.proj, cat, day) : null;
    const bill: Money | null = billable ? { rate: billRate, amount: billRate ? amount(g, d.q, billRate) : "0.00" } : { rate: null, amount: "0.00" };
    const costRate = costRateOn(emp, day);
    const cost: Money | null = costRate ? { rate: costRate, amount: amount(g, d.q, costRate) } : null;
    const core: Core = { ...life, sourceId, emp, day, d, billable, bill, cost, erpSeq: null };
    if (core.state === "posted") {
      core.erpSeq = ++erpSeq;
      if (billable) {
        const held = rngFor(g.seed, "held", sourceId).chance(0.04);
        const b = billingOf(g, d.proj, day, core.postedAt!, held);
        if (b) {
          core.state = "billed";
          core.billedAt = b.at;
          core.invoiceKey = b.key;
          core.updatedAt = b.at;
        }
      }
    }
    return core;
  };

  for (let day = g.S; day <= g.E; day++) {
    if (isWeekend(day)) continue;
    for (const emp of g.emps) {
      const key = `${emp.idx}:${day}`;
      let drafts = g.plan.overrides.get(key) ?? baseDay(g, emp, day);
      if (drafts.length === 0) continue;
      if (g.plan.patchedDays.has(key)) drafts = drafts.map((d, k) => g.plan.patches.get(`${key}:${k}`)?.(d) ?? d);
      else drafts = drafts.map((d) => ({ ...d }));
      const lives = lifeOfDay(g, emp, day, drafts);
      for (let k = 0; k < drafts.length; k++) {
        seq++;
        yield finish(emp, day, drafts[k]!, lives[k]!, String(TIME_ID_BASE + seq));
      }
    }
  }
  // entries created late: logged into a closed month, or entered twice
  let extra = 0;
  for (const x of g.plan.extras) {
    extra++;
    const life: Life = {
      state: "approved",
      version: 1,
      createdAt: x.createdAt,
      updatedAt: x.approvedAt,
      submittedAt: x.submittedAt,
      approvedAt: x.approvedAt,
      rejectedAt: null,
      postedAt: null,
      billedAt: null,
      attempts: 0,
      prev: null,
      invoiceKey: null,
    };
    yield finish(x.emp, x.day, { ...x.draft }, life, String(EXTRA_TIME_ID_BASE + extra));
  }
}

// ---------------------------------------------------------------------------------------
// Rows

function timeEntryPayload(g: G, c: Core, which: "prev" | "current"): HarvestTimeEntry {
  const { emp, d } = c;
  const q = which === "prev" ? c.prev!.q : c.d.q;
  const notes = which === "prev" ? c.prev!.notes : c.d.notes;
  const isClosed = which === "prev" ? c.prev!.isClosed : c.state !== "submitted" && c.state !== "rejected";
  const updatedAt = which === "prev" ? c.prev!.updatedAt : c.state === "billed" || c.state === "posted" ? c.approvedAt! : c.updatedAt;
  const billRate = sourceRate(g, c);
  const hours = q / 4;
  const assignmentCreated = harvestTs(Math.min(d.proj.createdDay, emp.hireDay) * MIN + 9 * 60);
  return {
    id: Number(c.sourceId),
    spent_date: isoDay(c.day),
    hours,
    hours_without_timer: hours,
    rounded_hours: hours,
    notes,
    is_locked: isClosed,
    locked_reason: isClosed ? LOCKED_REASON_APPROVED : null,
    is_closed: isClosed,
    is_billed: false,
    timer_started_at: null,
    started_time: null,
    ended_time: null,
    is_running: false,
    billable: c.billable,
    budgeted: true,
    billable_rate: billRate === null ? null : Number(billRate),
    cost_rate: c.cost ? Number(c.cost.rate) : null,
    created_at: harvestTs(c.createdAt),
    updated_at: harvestTs(updatedAt),
    user: { id: Number(emp.harvestId), name: emp.name },
    client: { id: Number(d.proj.cust.harvestId), name: d.proj.cust.name, currency: d.proj.ent.currency },
    project: { id: Number(d.proj.harvestId), name: d.proj.name, code: d.proj.code },
    task: { id: Number(d.task.harvestId), name: d.task.name },
    user_assignment: {
      id: 150_000_000 + emp.idx * 1000 + d.proj.idx,
      is_project_manager: emp.primary.code === "PM",
      is_active: true,
      budget: null,
      hourly_rate: null,
      created_at: assignmentCreated,
      updated_at: assignmentCreated,
    },
    task_assignment: {
      id: 260_000_000 + d.proj.idx * 100 + d.task.idx,
      billable: d.task.billable,
      is_active: true,
      hourly_rate: billRate === null ? null : Number(billRate),
      budget: null,
      created_at: harvestTs(d.proj.createdDay * MIN + 9 * 60),
      updated_at: harvestTs(d.proj.createdDay * MIN + 9 * 60),
    },
    invoice: null,
    external_reference: null,
  };
}

function timeBundle(g: G, c: Core, invoiceLineNo: Map<string, number>): TimeEntryBundle {
  const { emp, d } = c;
  const seed = g.seed;
  const proj = d.proj;
  const payload = timeEntryPayload(g, c, "current");
  const raws: TimeEntryBundle["raws"] = [];
  if (c.prev) {
    const p1 = timeEntryPayload(g, c, "prev");
    raws.push({ sourceSystem: "harvest", objectType: "time_entry", sourceId: c.sourceId, contentHash: rawPayloadHash(p1), body: p1, receivedAt: isoTs(c.prev.updatedAt + 5) });
  }
  const receivedAt = c.state === "submitted" ? c.createdAt + 10 : c.state === "rejected" ? c.rejectedAt! + 5 : c.approvedAt! + 5;
  raws.push({ sourceSystem: "harvest", objectType: "time_entry", sourceId: c.sourceId, contentHash: rawPayloadHash(payload), body: payload, receivedAt: isoTs(receivedAt) });
  const sourceBillRate = payload.billable_rate === null ? null : sourceRate(g, c);

  const id = detUuid(seed, "time-entry", c.sourceId);
  const posted = c.state === "posted" || c.state === "billed";
  const erpId = posted ? `TB-${100_000 + c.erpSeq!}` : null;
  const invoiceId = c.invoiceKey ? detUuid(seed, "invoice", c.invoiceKey) : null;
  const hours = hoursOf(d.q);
  const cat = d.task.cat;
  const hash = timeEntryMaterialHash({ workDate: isoDay(c.day), hours, billable: c.billable, sourceUserId: emp.harvestId, sourceProjectId: proj.harvestId, sourceTaskId: d.task.harvestId });
  const entry: TimeEntryBundle["entry"] = {
    id,
    sourceSystem: "harvest",
    sourceId: c.sourceId,
    version: c.version,
    state: c.state,
    contentHash: hash,
    sourceUserId: emp.harvestId,
    sourceProjectId: proj.harvestId,
    sourceTaskId: d.task.harvestId,
    workDate: isoDay(c.day),
    hours,
    billable: c.billable,
    notes: d.notes,
    sourceBillRate,
    sourceCurrency: proj.ent.currency,
    submittedAt: c.submittedAt === null ? null : isoTs(c.submittedAt),
    approvedAt: c.approvedAt === null ? null : isoTs(c.approvedAt),
    approvedBy: c.approvedAt === null ? null : emp.approver,
    rejectedAt: c.rejectedAt === null ? null : isoTs(c.rejectedAt),
    postedAt: c.postedAt === null ? null : isoTs(c.postedAt),
    billedAt: c.billedAt === null ? null : isoTs(c.billedAt),
    voidedAt: null,
    employeeId: posted ? emp.id : null,
    projectId: posted ? proj.id : null,
    laborCategoryId: posted ? cat!.id : null,
    legalEntityId: posted ? proj.ent.id : null,
    currency: posted ? proj.ent.currency : null,
    billRate: posted ? c.bill!.rate : null,
    costRate: posted ? c.cost!.rate : null,
    billAmount: posted ? c.bill!.amount : null,
    costAmount: posted ? c.cost!.amount : null,
    erpId,
    postedVersion: posted ? c.version : null,
    invoiceId,
    createdAt: isoTs(c.prev ? c.prev.updatedAt + 5 : receivedAt),
    updatedAt: isoTs(c.updatedAt),
  };

  let posting: TimeEntryBundle["posting"] = null;
  if (posted) {
    const key = idempotencyKey({ sourceSystem: "harvest", sourceId: c.sourceId, version: c.version, kind: "create" });
    const sentAt = c.postedAt! - 1;
    posting = {
      id: detUuid(seed, "posting", c.sourceId),
      timeEntryId: id,
      expenseEntryId: null,
      kind: "create",
      entryVersion: c.version,
      idempotencyKey: key,
      status: "accepted",
      attempts: c.attempts,
      nextAttemptAt: isoTs(sentAt),
      lastError: c.attempts > 1 ? "HTTP 429: concurrency limit exceeded, retried after Retry-After" : null,
      request: canonicalPostingRequest({
        sourceSystem: "harvest",
        sourceId: c.sourceId,
        version: c.version,
        workDate: isoDay(c.day),
        hours,
        billRate: c.billable ? c.bill!.rate : null,
        currency: proj.ent.currency,
        erp: { jobId: proj.erpId, itemId: cat!.erpItemId, employeeId: emp.erpId, subsidiaryId: proj.ent.erpSubsidiaryId },
        memo: d.notes,
      }),
      response: { status: 204, location: `/services/rest/record/v1/timeBill/${erpId}`, id: erpId },
      erpId,
      legalEntityId: proj.ent.id,
      hours,
      amount: c.bill!.amount,
      currency: proj.ent.currency,
      correlationId: `seed-${seed}-${c.sourceId}`,
      createdAt: isoTs(c.approvedAt! + 1),
      sentAt: isoTs(sentAt),
      acceptedAt: isoTs(c.postedAt!),
      updatedAt: isoTs(c.postedAt!),
    };
  }

  let invoiceLine: TimeEntryBundle["invoiceLine"] = null;
  if (c.invoiceKey) {
    const n = (invoiceLineNo.get(c.invoiceKey) ?? 0) + 1;
    invoiceLineNo.set(c.invoiceKey, n);
    const fixedFee = proj.contractType === "fixed_fee";
    invoiceLine = {
      id: detUuid(seed, "invoice-line", "time", c.sourceId),
      invoiceId: invoiceId!,
      erpLineId: `${c.invoiceKey}#${n}`,
      timeEntryId: id,
      expenseEntryId: null,
      description: `${isoDay(c.day)} ${emp.name}, ${d.task.name}${fixedFee ? " (covered by fixed fee)" : ""}`,
      hours,
      amount: fixedFee ? "0.00" : c.bill!.amount,
    };
  }
  return { entry, raws, posting, invoiceLine };
}

// ---------------------------------------------------------------------------------------
// Expenses: a few per person per month, clean, on T&M and retainer projects

type ExpenseCore = {
  emp: Emp;
  proj: Proj;
  day: number;
  k: number;
  category: (typeof EXPENSE_CATEGORIES)[number];
  categoryIdx: number;
  amount: string;
  billable: boolean;
  notes: string;
};

function buildExpenses(g: G, invoiceAgg: Map<string, InvoiceAgg>): ExpenseBundle[] {
  const { seed } = g;
  const cores: ExpenseCore[] = [];
  const months = monthsBetween(g.S, g.E);
  for (const emp of g.emps) {
    if (emp.role !== "normal") continue;
    for (const month of months) {
      const r = rngFor(seed, "expense", emp.idx, month);
      const n = r.int(1, 3);
      const from = Math.max(g.S, firstOfMonth(month), emp.hireDay);
      const to = Math.min(g.E, lastOfMonth(month));
      if (from > to) continue;
      for (let k = 0; k < n; k++) {
        const day = r.int(from, to);
        if (isWeekend(day) || isHoliday(g, emp.ent, day)) continue;
        if (emp.ent.code === "UK01" && day >= g.fxDay - 3 && day <= g.fxDay) continue;
        const candidates = [emp.main, ...emp.secondary].filter(
          (p) => p.role === "normal" && (p.contractType === "time_and_materials" || p.contractType === "retainer") && day >= p.genStart && day <= p.genEnd,
        );
        if (candidates.length === 0) continue;
        const proj = r.pick(candidates);
        const categoryIdx = r.weighted(EXPENSE_CATEGORIES.map((c, i) => [i, c.weight] as const));
        const category = EXPENSE_CATEGORIES[categoryIdx]!;
        const cents = r.int(category.min * 100, category.max * 100);
        const amountStr = new Big(cents).div(100).times(CURRENCY_FACTOR[proj.ent.currency]!).toFixed(2);
        cores.push({ emp, proj, day, k, category, categoryIdx, amount: amountStr, billable: r.chance(0.75), notes: `${category.name}: ${proj.cust.short} ${r.pick(["client visit", "workshop", "steering committee", "on-site week", "tooling"])}` });
      }
    }
  }
  cores.sort((a, b) => a.day - b.day || a.emp.idx - b.emp.idx || a.k - b.k);

  const out: ExpenseBundle[] = [];
  let erpSeq = 0;
  cores.forEach((x, i) => {
    const sourceId = String(EXPENSE_ID_BASE + i + 1);
    const r = rngFor(seed, "expense-life", sourceId);
    const week = mondayOf(x.day);
    const createdAt = x.day * MIN + 13 * 60 + r.int(0, 300);
    let state: EntryState = "approved";
    let submittedAt: number | null = createdAt + r.int(10, 600);
    let approvedAt: number | null = null;
    let rejectedAt: number | null = null;
    let postedAt: number | null = null;
    let billedAt: number | null = null;
    let invoiceKey: string | null = null;
    if (x.day >= g.cm) {
      state = "submitted";
      submittedAt = createdAt;
    } else {
      const decided = approvalMinute(g, x.emp, week) + r.int(0, 90);
      if (x.day < g.cutoff) {
        state = "posted";
        approvedAt = decided;
        postedAt = decided + r.int(5, 240);
        if (x.billable) {
          const b = billingOf(g, x.proj, x.day, postedAt, r.chance(0.04));
          if (b) {
            state = "billed";
            billedAt = b.at;
            invoiceKey = b.key;
          }
        }
      } else if (r.chance(0.04)) {
        state = "rejected";
        rejectedAt = decided;
      } else {
        approvedAt = decided;
      }
    }
    const isClosed = state !== "submitted" && state !== "rejected";
    const updatedAt = rejectedAt ?? approvedAt ?? createdAt;
    const payload: HarvestExpense = {
      id: Number(sourceId),
      spent_date: isoDay(x.day),
      total_cost: Number(x.amount),
      units: null,
      notes: x.notes,
      billable: x.billable,
      is_closed: isClosed,
      is_locked: isClosed,
      is_billed: false,
      locked_reason: isClosed ? LOCKED_REASON_APPROVED : null,
      created_at: harvestTs(createdAt),
      updated_at: harvestTs(updatedAt),
      user: { id: Number(x.emp.harvestId), name: x.emp.name },
      client: { id: Number(x.proj.cust.harvestId), name: x.proj.cust.name, currency: x.proj.ent.currency },
      project: { id: Number(x.proj.harvestId), name: x.proj.name, code: x.proj.code },
      expense_category: { id: 5_400_000 + x.categoryIdx * 7, name: x.category.name, unit_name: null, unit_price: null },
      user_assignment: { id: 150_000_000 + x.emp.idx * 1000 + x.proj.idx, is_project_manager: x.emp.primary.code === "PM", is_active: true, budget: null, hourly_rate: null },
      receipt: { url: `https://files.harvestapp.example/receipts/${sourceId}.pdf`, file_name: `receipt-${sourceId}.pdf`, file_size: 40_000 + r.int(0, 200_000), content_type: "application/pdf" },
      invoice: null,
    };
    const hash = expenseMaterialHash({ spentOn: isoDay(x.day), amount: x.amount, billable: x.billable, sourceUserId: x.emp.harvestId, sourceProjectId: x.proj.harvestId, category: x.category.name });
    const posted = state === "posted" || state === "billed";
    const id = detUuid(seed, "expense", sourceId);
    const erpId = posted ? `ER-${200_000 + ++erpSeq}` : null;
    const invoiceId = invoiceKey ? detUuid(seed, "invoice", invoiceKey) : null;
    const receivedAt = updatedAt + 5;
    const bundle: ExpenseBundle = {
      entry: {
        id,
        sourceSystem: "harvest",
        sourceId,
        version: 1,
        state,
        contentHash: hash,
        sourceUserId: x.emp.harvestId,
        sourceProjectId: x.proj.harvestId,
        category: x.category.name,
        spentOn: isoDay(x.day),
        amount: x.amount,
        currency: x.proj.ent.currency,
        billable: x.billable,
        notes: x.notes,
        submittedAt: submittedAt === null ? null : isoTs(submittedAt),
        approvedAt: approvedAt === null ? null : isoTs(approvedAt),
        rejectedAt: rejectedAt === null ? null : isoTs(rejectedAt),
        postedAt: postedAt === null ? null : isoTs(postedAt),
        billedAt: billedAt === null ? null : isoTs(billedAt),
        voidedAt: null,
        employeeId: posted ? x.emp.id : null,
        projectId: posted ? x.proj.id : null,
        legalEntityId: posted ? x.proj.ent.id : null,
        erpId,
        postedVersion: posted ? 1 : null,
        invoiceId,
        details: { receipt: payload.receipt?.file_name ?? null },
        createdAt: isoTs(receivedAt),
        updatedAt: isoTs(billedAt ?? postedAt ?? updatedAt),
      },
      raws: [{ sourceSystem: "harvest", objectType: "expense", sourceId, contentHash: rawPayloadHash(payload), body: payload, receivedAt: isoTs(receivedAt) }],
      posting: null,
      invoiceLine: null,
    };
    if (posted) {
      const key = idempotencyKey({ sourceSystem: "harvest", sourceId, version: 1, kind: "create" });
      bundle.posting = {
        id: detUuid(seed, "posting", "expense", sourceId),
        timeEntryId: null,
        expenseEntryId: id,
        kind: "create",
        entryVersion: 1,
        idempotencyKey: key,
        status: "accepted",
        attempts: 1,
        nextAttemptAt: isoTs(postedAt! - 1),
        lastError: null,
        request: {
          method: "POST",
          path: "/services/rest/record/v1/expenseReport",
          headers: { "X-NetSuite-Idempotency-Key": key },
          body: {
            entity: { id: x.emp.erpId },
            subsidiary: { id: x.proj.ent.erpSubsidiaryId },
            tranDate: isoDay(x.day),
            expense: { items: [{ customer: { id: x.proj.erpId }, category: x.category.name, amount: x.amount, currency: x.proj.ent.currency, isBillable: x.billable, memo: x.notes }] },
          },
        },
        response: { status: 204, location: `/services/rest/record/v1/expenseReport/${erpId}`, id: erpId },
        erpId,
        legalEntityId: x.proj.ent.id,
        hours: null,
        amount: x.amount,
        currency: x.proj.ent.currency,
        correlationId: `seed-${seed}-${sourceId}`,
        createdAt: isoTs(approvedAt! + 1),
        sentAt: isoTs(postedAt! - 1),
        acceptedAt: isoTs(postedAt!),
        updatedAt: isoTs(postedAt!),
      };
    }
    if (invoiceKey) {
      const agg = invoiceAggFor(invoiceAgg, invoiceKey, x.proj, billedAt!);
      agg.lines++;
      agg.total = agg.total.plus(x.amount);
      bundle.invoiceLine = {
        id: detUuid(seed, "invoice-line", "expense", sourceId),
        invoiceId: invoiceId!,
        erpLineId: `${invoiceKey}#${agg.lines}`,
        timeEntryId: null,
        expenseEntryId: id,
        description: `${isoDay(x.day)} ${x.emp.name}, expense: ${x.notes}`,
        hours: null,
        amount: x.amount,
      };
    }
    out.push(bundle);
  });
  return out;
}

type InvoiceAgg = { key: string; proj: Proj; at: number; total: Big; lines: number; staticLines: number };

function invoiceAggFor(map: Map<string, InvoiceAgg>, key: string, proj: Proj, at: number): InvoiceAgg {
  let agg = map.get(key);
  if (!agg) {
    agg = { key, proj, at, total: new Big(0), lines: 0, staticLines: 0 };
    map.set(key, agg);
  }
  return agg;
}

// ---------------------------------------------------------------------------------------
// The whole thing

export function generateDemo(input: GenerateOptions): DemoData {
  const opts: Required<GenerateOptions> = {
    seed: input.seed ?? 42,
    consultants: input.consultants ?? 200,
    projects: input.projects ?? 150,
    months: input.months ?? 6,
    endDate: input.endDate,
  };
  const g = buildMaster(opts);
  const { seed } = g;

  // invoices of fixed-fee milestones, then the expenses (their lines come first on an invoice)
  const invoiceAgg = new Map<string, InvoiceAgg>();
  const milestoneLines: InvoiceLineRow[] = [];
  for (const p of g.projs) {
    for (const m of p.milestones) {
      if (!m.billed) continue;
      const agg = invoiceAggFor(invoiceAgg, m.invoiceKey, p, m.invoiceDay * MIN + 10 * 60);
      agg.lines++;
      agg.total = agg.total.plus(m.amount);
      milestoneLines.push({
        id: detUuid(seed, "invoice-line", "milestone", p.idx, m.idx),
        invoiceId: detUuid(seed, "invoice", m.invoiceKey),
        erpLineId: `${m.invoiceKey}#${agg.lines}`,
        timeEntryId: null,
        expenseEntryId: null,
        description: `Milestone: ${m.name}`,
        hours: null,
        amount: m.amount,
      });
    }
  }
  const expenses = buildExpenses(g, invoiceAgg);
  for (const agg of invoiceAgg.values()) agg.staticLines = agg.lines;

  // first pass over the time entries: totals, counts and the manifest's evidence
  const timeByState = emptyStates();
  let rawTime = 0;
  let postedTime = 0;
  let timeLines = 0;
  const committed = new Map<number, Big>();
  const everything = new Map<number, Big>();
  let burstMinApproved: Big | null = null;
  const evidence = new Map<string, { code: ExceptionCode; what: string; ids: string[] }>();
  const note = (code: ExceptionCode, subjectKey: string, what: string, sourceId: string) => {
    const k = `${code}|${subjectKey}`;
    let e = evidence.get(k);
    if (!e) evidence.set(k, (e = { code, what, ids: [] }));
    e.ids.push(sourceId);
  };
  const plan = g.plan;
  const fxIso = isoDay(g.fxDay);
  for (const c of coreStream(g)) {
    timeByState[c.state]++;
    rawTime += c.prev ? 2 : 1;
    if (c.state === "posted" || c.state === "billed") postedTime++;
    if (c.d.proj.contractType === "capped" && c.billable && c.bill) {
      // what the caps are set from: posted amounts, and everything logged
      const a = new Big(c.bill.amount);
      if (c.state === "posted" || c.state === "billed") committed.set(c.d.proj.idx, (committed.get(c.d.proj.idx) ?? new Big(0)).plus(a));
      everything.set(c.d.proj.idx, (everything.get(c.d.proj.idx) ?? new Big(0)).plus(a));
    }
    if (c.invoiceKey) {
      const agg = invoiceAggFor(invoiceAgg, c.invoiceKey, c.d.proj, c.billedAt!);
      agg.lines++;
      timeLines++;
      if (c.d.proj.contractType !== "fixed_fee") agg.total = agg.total.plus(c.bill!.amount);
    }
    if (c.state !== "approved") continue;

    // what this approved entry must fail with (and nothing else)
    const { emp, d } = c;
    const proj = d.proj;
    const h = "harvest" as const;
    if (emp.role === "unmapped_user") note("EMPLOYEE_UNMAPPED", SUBJECTS.sourceUser(h, emp.harvestId), `new joiner ${emp.name} (${emp.ent.code}) has no employee mapping`, c.sourceId);
    if (emp.role === "cost_rate_missing") note("COST_RATE_MISSING", SUBJECTS.costRate(emp.id), `${emp.name}'s cost rate ended ${isoDay(g.cutoff - 1)} and was not renewed`, c.sourceId);
    if (proj.role === "unmapped") note("PROJECT_UNMAPPED", SUBJECTS.sourceProject(h, proj.harvestId), `new source project ${proj.code} "${proj.name}" has no ERP job mapping`, c.sourceId);
    if (proj.role === "on_hold" || proj.role === "closed") note("PROJECT_NOT_ACTIVE", SUBJECTS.project(proj.id), `${proj.code} "${proj.name}" is ${proj.status} in the ERP but still receives time`, c.sourceId);
    if (proj.role === "burst" && c.billable) {
      note("BILLING_CAP_EXCEEDED", SUBJECTS.cap(proj.id), `${proj.code} "${proj.name}": cap just above what is already posted`, c.sourceId);
      const a = new Big(c.bill!.amount);
      if (burstMinApproved === null || a.lt(burstMinApproved)) burstMinApproved = a;
    }
    if (d.tag === "task") note("TASK_UNMAPPED", SUBJECTS.sourceTask(h, d.task.harvestId), `source task "${d.task.name}" has no labor category mapping`, c.sourceId);
    if (d.tag === "ds") note("BILL_RATE_MISSING", SUBJECTS.billRate(proj.id, plan.dsCat.id), `no ${proj.ent.currency} rate for ${plan.dsCat.name} on ${proj.code}`, c.sourceId);
    if (d.tag === "late") note("PERIOD_CLOSED", SUBJECTS.period(proj.ent.id, isoDay(c.day)), `${proj.ent.code} ${g.closedMonth} is closed; entries logged late into it`, c.sourceId);
    if (d.tag === "dup") note("DUPLICATE_SUSPECTED", SUBJECTS.entry(h, c.sourceId), `${emp.name} entered ${hoursOf(d.q)} h on ${proj.code} twice on ${isoDay(c.day)}`, c.sourceId);
    if (d.tag === "zero" || d.tag === "over") note("HOURS_INVALID", SUBJECTS.entry(h, c.sourceId), `entry of ${hoursOf(d.q)} h`, c.sourceId);
    if (d.tag === "pday") note("HOURS_INVALID", SUBJECTS.personDay(h, emp.harvestId, isoDay(c.day)), `${emp.name} logged 25.00 h on ${isoDay(c.day)} in three entries`, c.sourceId);
    if (proj.ent.code === "UK01" && c.day === g.fxDay) note("FX_RATE_MISSING", SUBJECTS.fx("GBP", "USD", fxIso), `no GBP→USD rate from ${isoDay(g.fxDay - 3)} to ${fxIso}`, c.sourceId);
  }

  // billing caps: the burst project just above what is posted; the others well clear
  for (const p of g.projs) {
    if (p.contractType !== "capped") continue;
    if (p === plan.burst) {
      const c = committed.get(p.idx) ?? new Big(0);
      const cap = c.div(50).round(0, Big.roundDown).plus(1).times(50);
      const min = burstMinApproved as Big | null;
      if (c.eq(0) || min === null || !cap.minus(c).lt(min)) {
        throw new Error("generateDemo: the capped project meant to burst has no posted history or no approved billable entries");
      }
      p.billingCap = cap.toFixed(2);
    } else {
      const total = everything.get(p.idx) ?? new Big(0);
      p.billingCap = total.times(1.3).div(1000).round(0, Big.roundUp).times(1000).plus(10_000).toFixed(2);
    }
  }

  // the manifest
  const plants: PlantedProblem[] = [...evidence.entries()]
    .map(([k, v]) => ({
      code: v.code,
      owner: EXCEPTION_CODES[v.code].owner as OwnerTeam,
      subjectKey: k.slice(v.code.length + 1),
      what: v.what,
      sourceIds: v.ids,
    }))
    .sort((a, b) => (a.code === b.code ? (a.subjectKey < b.subjectKey ? -1 : 1) : a.code < b.code ? -1 : 1));
  const expectedPlan: Partial<Record<ExceptionCode, number>> = {
    PROJECT_UNMAPPED: 3,
    TASK_UNMAPPED: 2,
    EMPLOYEE_UNMAPPED: 2,
    PROJECT_NOT_ACTIVE: 3,
    COST_RATE_MISSING: 2,
    BILL_RATE_MISSING: 1,
    PERIOD_CLOSED: 1,
    BILLING_CAP_EXCEEDED: 1,
    DUPLICATE_SUSPECTED: 3,
    HOURS_INVALID: 3,
    FX_RATE_MISSING: 1,
  };
  const manifest: DemoManifest = { expected: {}, owners: {}, subjects: {}, plants, reportingCurrency: "USD" };
  for (const p of plants) {
    (manifest.subjects[p.code] ??= []).push(p.subjectKey);
    manifest.expected[p.code] = (manifest.expected[p.code] ?? 0) + 1;
    manifest.owners[p.code] = p.owner;
  }
  for (const [code, n] of Object.entries(expectedPlan) as [ExceptionCode, number][]) {
    if (manifest.expected[code] !== n) {
      throw new Error(`generateDemo: planted ${manifest.expected[code] ?? 0} ${code} subjects, meant ${n} (sizes too small?)`);
    }
  }

  // invoices
  const invoicesOut: InvoiceRow[] = [...invoiceAgg.values()]
    .sort((a, b) => a.at - b.at || a.proj.idx - b.proj.idx || (a.key < b.key ? -1 : 1))
    .map((agg, i) => {
      const day = Math.floor(agg.at / MIN);
      return {
        id: detUuid(seed, "invoice", agg.key),
        erpId: String(700_000 + i + 1),
        number: `${agg.proj.ent.code}-INV-${isoDay(day).slice(0, 7).replace("-", "")}-${String(i + 1).padStart(5, "0")}`,
        customerId: agg.proj.cust.id,
        legalEntityId: agg.proj.ent.id,
        projectId: agg.proj.id,
        invoiceDate: isoDay(day),
        currency: agg.proj.ent.currency,
        total: agg.total.toFixed(2),
        status: day < g.E - 40 ? "paid" : "open",
        createdAt: isoTs(agg.at),
        updatedAt: isoTs(agg.at),
      };
    });

  const rows = masterRows(g);
  const expenseByState = emptyStates();
  for (const x of expenses) expenseByState[x.entry.state]++;
  const invoiceLineCount = milestoneLines.length + expenses.filter((x) => x.invoiceLine).length + timeLines;
  const counts: DemoCounts = {
    legalEntities: rows.legalEntities.length,
    customers: rows.customers.length,
    projects: rows.projects.length,
    milestones: rows.milestones.length,
    employees: rows.employees.length,
    laborCategories: rows.laborCategories.length,
    billRates: rows.billRates.length,
    costRates: rows.costRates.length,
    accountingPeriods: rows.accountingPeriods.length,
    fxRates: rows.fxRates.length,
    sourceRefs: rows.sourceRefs.length,
    idMappings: rows.idMappings.length,
    invoices: invoicesOut.length,
    invoiceLines: invoiceLineCount,
    timeEntries: Object.values(timeByState).reduce((a, b) => a + b, 0),
    timeEntriesByState: timeByState,
    expenseEntries: expenses.length,
    expenseEntriesByState: expenseByState,
    rawRecords: rawTime + expenses.length,
    erpPostings: postedTime + expenses.filter((x) => x.posting).length,
  };

  const staticLines = new Map<string, number>();
  for (const agg of invoiceAgg.values()) staticLines.set(agg.key, agg.staticLines);

  return {
    options: opts,
    calendar: {
      startDate: isoDay(g.S),
      endDate: isoDay(g.E),
      historyBefore: isoDay(g.cutoff),
      currentWeekStart: isoDay(g.cm),
      closedPeriod: { entity: "US01", period: g.closedMonth },
      fxGap: {
        from: "GBP",
        to: "USD",
        missingDays: [3, 2, 1, 0].map((k) => isoDay(g.fxDay - k)),
        failingDay: fxIso,
      },
    },
    ...rows,
    invoices: invoicesOut,
    invoiceLines: milestoneLines,
    expenses,
    *timeEntryChunks(size = 5000) {
      const lineNo = new Map(staticLines);
      let chunk: TimeEntryBundle[] = [];
      for (const c of coreStream(g)) {
        chunk.push(timeBundle(g, c, lineNo));
        if (chunk.length >= size) {
          yield chunk;
          chunk = [];
        }
      }
      if (chunk.length) yield chunk;
    },
    counts,
    manifest,
  };
}

// ---------------------------------------------------------------------------------------
// Master data rows

function masterRows(g: G) {
  const { seed, S, E } = g;
  const at = (day: number, hour = 9) => isoAt(day, hour * 60);
  const seedDay = S - 30;

  const legalEntities: LegalEntityRow[] = g.ents.map((e) => ({
    id: e.id,
    code: e.code,
    name: e.name,
    erpSubsidiaryId: e.erpSubsidiaryId,
    functionalCurrency: e.currency,
    country: e.country,
    region: e.region,
    postingSlaHours: e.sla,
    createdAt: at(seedDay),
    updatedAt: at(seedDay),
  }));
  const customers: CustomerRow[] = g.custs.map((c) => ({
    id: c.id,
    erpId: c.erpId,
    name: c.name,
    legalEntityId: c.ent.id,
    active: true,
    createdAt: at(seedDay),
    updatedAt: at(seedDay),
  }));
  const projects: ProjectRow[] = g.projs.map((p) => ({
    id: p.id,
    erpId: p.erpId,
    code: p.code,
    name: p.name,
    customerId: p.cust.id,
    legalEntityId: p.ent.id,
    region: p.ent.region,
    businessUnit: p.businessUnit,
    practice: p.practice,
    status: p.status,
    contractType: p.contractType,
    billingCap: p.billingCap,
    currency: p.ent.currency,
    startsOn: isoDay(p.startDay),
    endsOn: p.endDay === null ? null : isoDay(p.endDay),
    createdAt: at(p.createdDay),
    updatedAt: at(p.role === "on_hold" || p.role === "closed" ? g.cm - 5 : p.createdDay),
  }));
  const milestones: MilestoneRow[] = g.projs.flatMap((p) =>
    p.milestones.map((m) => ({
      id: m.id,
      projectId: p.id,
      name: m.name,
      amount: m.amount,
      dueOn: isoDay(m.dueDay),
      erpId: m.erpId,
      billedAt: m.billed ? at(m.invoiceDay, 10) : null,
      createdAt: at(p.createdDay),
      updatedAt: at(m.billed ? m.invoiceDay : p.createdDay, 10),
    })),
  );
  const employees: EmployeeRow[] = g.emps.map((e) => ({
    id: e.id,
    erpId: e.erpId,
    name: e.name,
    email: e.email,
    legalEntityId: e.ent.id,
    region: e.ent.region,
    department: e.department,
    costCenter: e.costCenter,
    weeklyCapacityHours: e.capacity,
    active: true,
    createdAt: at(e.hireDay - 5),
    updatedAt: at(e.hireDay - 5),
  }));
  const laborCategories: LaborCategoryRow[] = g.cats.map((c) => ({
    id: c.id,
    erpItemId: c.erpItemId,
    code: c.code,
    name: c.name,
    billable: c.billable,
    active: true,
    createdAt: at(seedDay - 365),
    updatedAt: at(seedDay - 365),
  }));
  const pieceRows = <T>(pieces: Piece[], extra: T) =>
    pieces.map((p) => ({
      id: p.id,
      rate: p.rate,
      validFrom: isoDay(p.from),
      validTo: p.to === null ? null : isoDay(p.to),
      createdAt: at(Math.min(p.from, E) - 10),
      updatedAt: at(Math.min(p.from, E) - 10),
      ...extra,
    }));
  const billRates: BillRateRow[] = [];
  for (const cat of g.cats) {
    for (const cur of CURRENCIES) {
      const pieces = g.standard.get(`${cat.idx}|${cur}`);
      if (pieces) billRates.push(...pieceRows(pieces, { projectId: null, laborCategoryId: cat.id, currency: cur }));
    }
  }
  for (const p of g.projs) {
    for (const cat of g.cats) {
      const pieces = p.rates.get(cat.idx);
      if (pieces) billRates.push(...pieceRows(pieces, { projectId: p.id, laborCategoryId: cat.id, currency: p.ent.currency }));
    }
  }
  const costRates: CostRateRow[] = g.emps.flatMap((e) => pieceRows(e.costRates, { employeeId: e.id, currency: e.ent.currency }));

  const accountingPeriods: AccountingPeriodRow[] = [];
  for (const e of g.ents) {
    for (const month of monthsBetween(S, E)) {
      const closed = e.code === "US01" && month === g.closedMonth;
      accountingPeriods.push({
        id: detUuid(seed, "period", e.code, month),
        legalEntityId: e.id,
        period: month,
        startsOn: `${month}-01`,
        endsOn: isoDay(lastOfMonth(month)),
        status: closed ? "closed" : "open",
        closedAt: closed ? at(lastOfMonth(month) + 12, 18) : null,
        createdAt: at(Math.max(firstOfMonth(month) - 20, seedDay)),
        updatedAt: closed ? at(lastOfMonth(month) + 12, 18) : at(Math.max(firstOfMonth(month) - 20, seedDay)),
      });
    }
  }

  // daily FX to USD with a small random walk (integer micro-units, no float drift);
  // GBP→USD is missing for the four days ending on the FX day
  const fxRates: FxRateRow[] = [];
  const fxDefs = [
    { from: "GBP", base: 1_265_000, step: 2_500 },
    { from: "SGD", base: 742_000, step: 1_200 },
  ];
  for (const f of fxDefs) {
    const r = rngFor(seed, "fx", f.from);
    let micro = f.base;
    for (let day = S - 7; day <= E; day++) {
      micro = Math.min(Math.round(f.base * 1.08), Math.max(Math.round(f.base * 0.92), micro + r.int(-f.step, f.step)));
      if (f.from === "GBP" && day >= g.fxDay - 3 && day <= g.fxDay) continue;
      fxRates.push({
        id: detUuid(seed, "fx", f.from, day),
        rateDate: isoDay(day),
        fromCurrency: f.from,
        toCurrency: "USD",
        rate: `${Math.floor(micro / 1_000_000)}.${String(micro % 1_000_000).padStart(6, "0")}`,
        createdAt: at(day, 17),
      });
    }
  }

  // the source side: Harvest clients, projects, tasks and users, and their mappings
  const sourceRefs: SourceRefRow[] = [];
  const idMappings: IdMappingRow[] = [];
  const lastSeen = at(E, 6);
  const ref = (kind: string, externalId: string, code: string | null, name: string, attributes: Record<string, unknown>, firstSeenDay: number) => {
    sourceRefs.push({
      id: detUuid(seed, "source-ref", kind, externalId),
      sourceSystem: "harvest",
      kind,
      externalId,
      code,
      name,
      attributes,
      active: true,
      firstSeenAt: at(firstSeenDay, 7),
      lastSeenAt: lastSeen,
    });
  };
  const map = (kind: string, externalId: string, targetId: string, targetErpId: string, reason: string, day: number) => {
    idMappings.push({
      id: detUuid(seed, "mapping", kind, externalId),
      sourceSystem: "harvest",
      kind,
      externalId,
      targetId,
      targetErpId,
      validFrom: null,
      validTo: null,
      active: true,
      reason,
      createdBy: SEED_ACTOR,
      createdAt: at(day, 8),
      updatedBy: SEED_ACTOR,
      updatedAt: at(day, 8),
      version: 1,
    });
  };
  for (const c of g.custs) {
    const first = Math.min(seedDay, ...g.projs.filter((p) => p.cust === c).map((p) => p.createdDay));
    ref("customer", c.harvestId, null, c.name, { currency: c.ent.currency, is_active: true }, first);
    map("customer", c.harvestId, c.id, c.erpId, "Initial load: matched by customer name", first);
  }
  for (const p of g.projs) {
    ref(
      "project",
      p.harvestId,
      p.code,
      p.name,
      {
        client_id: Number(p.cust.harvestId),
        client_name: p.cust.name,
        is_billable: true,
        is_fixed_fee: p.contractType === "fixed_fee",
        bill_by: "Tasks",
        budget_by: p.contractType === "capped" ? "project_cost" : "none",
        starts_on: isoDay(p.startDay),
        ends_on: p.endDay === null ? null : isoDay(p.endDay),
        is_active: p.status === "active" || p.role === "on_hold" || p.role === "closed",
      },
      p.createdDay,
    );
    if (p.mapped) map("project", p.harvestId, p.id, p.erpId, `Initial load: matched by project code ${p.code}`, Math.max(p.createdDay, seedDay - 400));
  }
  for (const t of g.tasks) {
    const billRate = t.cat ? g.standard.get(`${t.cat.idx}|USD`)?.[0]?.rate : undefined;
    ref("task", t.harvestId, null, t.name, { billable_by_default: t.billable, default_hourly_rate: billRate ? Number(billRate) : null, is_active: true }, t.cat ? seedDay - 365 : g.cm - 21);
    if (t.cat) map("task", t.harvestId, t.cat.id, t.cat.erpItemId, `Initial load: task "${t.name}" is service item ${t.cat.code}`, seedDay - 365);
  }
  for (const e of g.emps) {
    ref(
      "user",
      e.harvestId,
      null,
      e.name,
      {
        email: e.email,
        first_name: e.first,
        last_name: e.last,
        is_contractor: false,
        is_active: true,
        weekly_capacity: Math.round(Number(e.capacity) * 3600),
        timezone: e.ent.code === "US01" ? "Eastern Time (US & Canada)" : e.ent.code === "UK01" ? "London" : "Singapore",
      },
      Math.max(e.hireDay - 3, seedDay - 2000),
    );
    if (e.mapped) map("user", e.harvestId, e.id, e.erpId, "Initial load: matched by e-mail address", Math.max(e.hireDay - 3, seedDay - 2000));
  }

  return {
    legalEntities,
    customers,
    projects,
    milestones,
    employees,
    laborCategories,
    billRates,
    costRates,
    accountingPeriods,
    fxRates,
    sourceRefs,
    idMappings,
  };
}
