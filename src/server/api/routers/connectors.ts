import {
  pauseConnector,
  pauseConnectorInput,
  resumeConnector,
  resumeConnectorInput,
  testConnection,
  testConnectionInput,
  updateEndpoint,
  updateEndpointInput,
  updateLimits,
  updateLimitsInput,
  updateSchedule,
  updateScheduleInput,
} from "../../services/connectors/admin";
import { adminProcedure, router } from "../trpc";

/** Connector administration, for admins: every change audited, secrets write-only. */
export const connectorsRouter = router({
  /** stop a connector running anything (scheduled or not), with the reason */
  pause: adminProcedure.input(pauseConnectorInput).mutation(({ ctx, input }) => pauseConnector({ ctx: ctx.svc, input })),
  /** let a paused connector run again */
  resume: adminProcedure.input(resumeConnectorInput).mutation(({ ctx, input }) => resumeConnector({ ctx: ctx.svc, input })),
  /** the main schedule and the per-job ones; an invalid cron expression saves nothing */
  updateSchedule: adminProcedure.input(updateScheduleInput).mutation(({ ctx, input }) => updateSchedule({ ctx: ctx.svc, input })),
  /** concurrency and the outbox's posting settings, within their ranges */
  updateLimits: adminProcedure.input(updateLimitsInput).mutation(({ ctx, input }) => updateLimits({ ctx: ctx.svc, input })),
  /** base URL, account and (write-only) token, saved only when a test with them succeeds */
  updateEndpoint: adminProcedure.input(updateEndpointInput).mutation(({ ctx, input }) => updateEndpoint({ ctx: ctx.svc, input })),
  /** test the saved connector and record the result */
  testConnection: adminProcedure.input(testConnectionInput).mutation(({ ctx, input }) => testConnection({ ctx: ctx.svc, input })),
});
