import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { createHarvestConnector, type HarvestConnector } from "@/sync/connectors/harvest/connector";
import { createNetSuiteConnector, type NetSuiteConnector } from "@/sync/connectors/netsuite/connector";
import type { ErpConnector, SourceConnector } from "@/sync/connectors/types";
import type { DbOrTx } from "../../db/client";
import { connectors } from "../../db/schema";
import { decryptSecret } from "../../crypto/secrets";

const credentials = z.object({ token: z.string().min(1) });
type ConnectorRow = typeof connectors.$inferSelect;

/** The saved access token of a connector (decrypted here, never returned to a browser). */
export function tokenOf(row: ConnectorRow, key: Buffer): string {
  if (!row.credentialsEncrypted) throw new Error(`connector ${row.key} has no credentials`);
  const parsed = credentials.safeParse(JSON.parse(decryptSecret(row.credentialsEncrypted, key)));
  if (!parsed.success) throw new Error(`connector ${row.key}'s credentials have no token`);
  return parsed.data.token;
}

/**
 * What a connector is built from: the row's values, or values an admin is about to save
 * (tested before they are). `settings` as the row holds them.
 */
export type ConnectorValues = {
  system: string;
  baseUrl: string;
  accountId: string | null;
  token: string;
  settings?: Record<string, unknown>;
};

function concurrencyOf(settings: Record<string, unknown> | undefined) {
  const c = (settings ?? {}).concurrency;
  return typeof c === "number" && c > 0 ? { concurrency: c } : {};
}

/** The source connector these values describe; throws a sentence when they are not valid for it. */
export function sourceConnectorFrom(v: ConnectorValues): HarvestConnector {
  if (v.system !== "harvest") throw new Error(`no source connector for the system "${v.system}"`);
  return createHarvestConnector({ baseUrl: v.baseUrl, accountId: v.accountId ?? "", token: v.token, ...concurrencyOf(v.settings) });
}

/** The ERP connector these values describe; throws a sentence when they are not valid for it. */
export function erpConnectorFrom(v: ConnectorValues): NetSuiteConnector {
  if (v.system !== "netsuite") throw new Error(`no ERP connector for the system "${v.system}"`);
  return createNetSuiteConnector({ baseUrl: v.baseUrl, accountId: v.accountId ?? "", token: v.token, ...concurrencyOf(v.settings) });
}

/** The connector of either role these values describe, e.g. to test them before saving. */
export function connectorFrom(role: "source" | "erp", v: ConnectorValues): HarvestConnector | NetSuiteConnector {
  return role === "source" ? sourceConnectorFrom(v) : erpConnectorFrom(v);
}

/** The source connector a connectors row describes (credentials decrypted only here). */
export function sourceConnectorFor(row: ConnectorRow, key: Buffer): SourceConnector {
  return sourceConnectorFrom({ ...row, token: tokenOf(row, key) });
}

/** The ERP connector a connectors row describes. */
export function erpConnectorFor(row: ConnectorRow, key: Buffer): ErpConnector {
  return erpConnectorFrom({ ...row, token: tokenOf(row, key) });
}

export async function activeConnectors(db: DbOrTx, role: "source" | "erp") {
  return db.select().from(connectors).where(and(eq(connectors.role, role), eq(connectors.paused, false)));
}
