import type { Task } from "graphile-worker";
import { activeConnectors, sourceConnectorFor } from "@/server/services/connectors/build";
import { reverseSyncProjects } from "@/server/services/sync/reverse-sync";
import { jobCtx, parsePayload, type TaskDeps } from "./context";

/** Makes inactive in each source the projects the ERP has put on hold or closed (and active again). */
export const reverseSync = (deps: TaskDeps): Task => async (raw, helpers) => {
  parsePayload("reverse-sync", raw);
  const ctx = jobCtx(deps, helpers);
  for (const c of await activeConnectors(deps.db, "source")) {
    const s = await reverseSyncProjects({ ctx, connector: sourceConnectorFor(c, deps.secretsKey) });
    if (s.deactivated.length || s.reactivated.length || s.failed.length) {
      ctx.log!.info(`reverse sync ${c.key}: ${s.deactivated.length} deactivated, ${s.reactivated.length} reactivated, ${s.failed.length} failed`, { connector: c.key });
    }
  }
};
