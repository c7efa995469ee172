import type { Task } from "graphile-worker";
import { pruneHistory } from "@/server/services/sync/prune";
import { jobCtx, parsePayload, type TaskDeps } from "./context";

/** Daily: deletes the sync console's history past its retention (log lines, outbox snapshots, finished postings' attempts). */
export const pruneHistoryTask = (deps: TaskDeps): Task => async (raw, helpers) => {
  parsePayload("prune-history", raw);
  const ctx = jobCtx(deps, helpers);
  const s = await pruneHistory({ db: deps.db });
  ctx.log!.info(
    `history pruned: ${s.logLines} log lines, ${s.queueSnapshots} outbox snapshots, ${s.postingAttempts} posting attempts${s.complete ? "" : " (more remain for the next run)"}`,
    { ...s },
  );
};
