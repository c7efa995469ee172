import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { createHarvestConnector } from "@/sync/connectors/harvest/connector";
import { createNetSuiteConnector } from "@/sync/connectors/netsuite/connector";
import type { ErpConnector, SourceConnector } from "@/sync/connectors/types";
import type { DbOrTx } from "../../db/client";
import { connectors } from "../../db/schema";
import { decryptSecret } from "../../crypto/secrets";

const credentials = z.object({ token: z.string().min(1) });
type ConnectorRow = typeof connectors.$inferSelect;

function tokenOf(row: ConnectorRow, key: Buffer): string {
  if (!row.credentialsEncrypted) throw new Error(`connector ${row.key} has no credentials`);
  const parsed = credentials.safeParse(JSON.parse(decryptSecret(row.credentialsEncrypted, key)));
  if (!parsed.success) throw new Error(`connector ${row.key}'s credentials have no token`);
  return parsed.data.token;
}

/** The source connector a connectors row describes (credentials decrypted only here). */
export function sourceConnectorFor(row: ConnectorRow, key: Buffer): SourceConnector {
  if (row.system !== "harvest") throw new Error(`no source connector for the system "${row.system}"`);
  const s = row.settings as { concurrency?: number; perPage?: number };
  return createHarvestConnector({ baseUrl: row.baseUrl, accountId: row.accountId ?? "", token: tokenOf(row, key), ...(s.concurrency && { concurrency: s.concurrency }) });
}

/** The ERP connector a connectors row describes. */
export function erpConnectorFor(row: ConnectorRow, key: Buffer): ErpConnector {
  if (row.system !== "netsuite") throw new Error(`no ERP connector for the system "${row.system}"`);
  const s = row.settings as { concurrency?: number };
  return createNetSuiteConnector({ baseUrl: row.baseUrl, accountId: row.accountId ?? "", token: tokenOf(row, key), ...(s.concurrency && { concurrency: s.concurrency }) });
}

export async function activeConnectors(db: DbOrTx, role: "source" | "erp") {
  return db.select().from(connectors).where(and(eq(connectors.role, role), eq(connectors.paused, false)));
}
