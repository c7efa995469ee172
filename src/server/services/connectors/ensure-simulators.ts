import { connectors } from "../../db/schema";
import { encryptSecret } from "../../crypto/secrets";
import type { Db } from "../../db/client";
import { writeAudit } from "../audit/write";
import { systemActor } from "../context";

/**
 * In the embedded default, the connectors point at the bundled simulators. Created once;
 * an admin's later changes to them are kept.
 */
export async function ensureSimulatorConnectors(
  db: Db,
  opts: { key: Buffer; harvest: { baseUrl: string; accountId: string; token: string }; netsuite: { baseUrl: string; accountId: string; token: string } },
) {
  const rows = [
    {
      key: "harvest",
      role: "source" as const,
      system: "harvest",
      name: "Harvest (simulator)",
      baseUrl: opts.harvest.baseUrl,
      accountId: opts.harvest.accountId,
      credentialsEncrypted: encryptSecret(JSON.stringify({ token: opts.harvest.token }), opts.key),
      settings: { concurrency: 4 },
      scheduleCron: "*/5 * * * *",
    },
    {
      key: "netsuite",
      role: "erp" as const,
      system: "netsuite",
      name: "NetSuite (simulator)",
      baseUrl: opts.netsuite.baseUrl,
      accountId: opts.netsuite.accountId,
      credentialsEncrypted: encryptSecret(JSON.stringify({ token: opts.netsuite.token }), opts.key),
      settings: { concurrency: 5 },
      scheduleCron: "* * * * *",
    },
  ];
  const created = await db.insert(connectors).values(rows).onConflictDoNothing({ target: connectors.key }).returning({ id: connectors.id, key: connectors.key });
  for (const c of created) {
    await writeAudit(
      { db, actor: systemActor("seed"), correlationId: crypto.randomUUID() },
      { action: "connector.create", entityType: "connector", entityId: c.id, after: { key: c.key, credentials: "set" } },
    );
  }
  return created.map((c) => c.key);
}
