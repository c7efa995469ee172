/**
 * Master data read from NetSuite through SuiteQL, in the canonical shapes of
 * `ErpMasterData`: subsidiaries, customers, jobs (projects) with their status, employees with
 * their labor cost, service items and accounting periods. Page by page, ordered by id.
 */
import type { ErpMasterData, ErpMasterDataKind } from "../types";
import type { NetSuiteClient } from "./client";
import { bool as isTrue, NetSuiteReadError, opt, str, suiteqlPages, type Row } from "./readback";

/** NetSuite's job status list as this account defines it: time may be booked on In Progress only. */
const JOB_STATUS: Record<string, ErpMasterData["jobs"]["status"]> = { "2": "active", "4": "on_hold", "1": "closed" };

const QUERIES: { [K in ErpMasterDataKind]: { q: string; map: (row: Row) => ErpMasterData[K] } } = {
  subsidiaries: {
    q: "SELECT id, name, country, currency, isinactive FROM subsidiary ORDER BY id",
    map: (r) => ({ erpId: str(r, "id", "subsidiary"), name: str(r, "name", "subsidiary"), country: opt(r, "country"), currency: opt(r, "currency"), active: !isTrue(r, "isinactive") }),
  },
  customers: {
    q: "SELECT id, entityid, companyname, subsidiary, isinactive FROM customer ORDER BY id",
    map: (r) => ({ erpId: str(r, "id", "customer"), code: opt(r, "entityid"), name: opt(r, "companyname") ?? str(r, "entityid", "customer"), subsidiaryId: opt(r, "subsidiary"), active: !isTrue(r, "isinactive") }),
  },
  jobs: {
    q: "SELECT id, entityid, companyname, customer, subsidiary, entitystatus, isinactive, currency, startdate, enddate FROM job ORDER BY id",
    map: (r) => {
      const raw = str(r, "entitystatus", "job");
      const status = JOB_STATUS[raw];
      if (!status) throw new NetSuiteReadError(`job ${String(r.id)} has a status this connector does not know: ${raw} (expected 1 Closed, 2 In Progress or 4 On Hold)`, false, 200);
      const active = !isTrue(r, "isinactive");
      return {
        erpId: str(r, "id", "job"),
        code: str(r, "entityid", "job"),
        name: opt(r, "companyname") ?? str(r, "entityid", "job"),
        customerId: opt(r, "customer"),
        subsidiaryId: opt(r, "subsidiary"),
        status: active ? status : "closed",
        active,
        currency: opt(r, "currency"),
        startsOn: opt(r, "startdate"),
        endsOn: opt(r, "enddate"),
      };
    },
  },
  employees: {
    q: "SELECT id, entityid, firstname, lastname, email, subsidiary, department, laborcost, isinactive FROM employee ORDER BY id",
    map: (r) => {
      const name = [opt(r, "firstname"), opt(r, "lastname")].filter(Boolean).join(" ") || str(r, "entityid", "employee");
      return { erpId: str(r, "id", "employee"), code: opt(r, "entityid"), name, email: opt(r, "email"), subsidiaryId: opt(r, "subsidiary"), department: opt(r, "department"), laborCost: opt(r, "laborcost"), active: !isTrue(r, "isinactive") };
    },
  },
  items: {
    q: "SELECT id, itemid, displayname, itemtype, isinactive FROM item ORDER BY id",
    map: (r) => ({ erpId: str(r, "id", "item"), code: str(r, "itemid", "item"), name: opt(r, "displayname") ?? str(r, "itemid", "item"), active: !isTrue(r, "isinactive") }),
  },
  periods: {
    q: "SELECT id, subsidiary, periodname, startdate, enddate, closed FROM accountingperiod ORDER BY id",
    map: (r) => {
      const startsOn = str(r, "startdate", "accountingperiod");
      return { erpId: str(r, "id", "accountingperiod"), subsidiaryId: str(r, "subsidiary", "accountingperiod"), period: startsOn.slice(0, 7), startsOn, endsOn: str(r, "enddate", "accountingperiod"), closed: isTrue(r, "closed") };
    },
  },
};

export async function* masterDataPages<K extends ErpMasterDataKind>(
  client: NetSuiteClient,
  kind: K,
  opts: { pageSize?: number; signal?: AbortSignal } = {},
): AsyncGenerator<ErpMasterData[K][]> {
  const { q, map } = QUERIES[kind];
  for await (const rows of suiteqlPages(client, q, opts)) yield rows.map(map);
}
