import { alertsRouter } from "./routers/alerts";
import { auditRouter } from "./routers/audit";
import { exceptionsRouter } from "./routers/exceptions";
import { kpisRouter } from "./routers/kpis";
import { reconciliationRouter } from "./routers/reconciliation";
import { mappingsRouter } from "./routers/mappings";
import { meRouter } from "./routers/me";
import { syncRouter } from "./routers/sync";
import { connectorsRouter } from "./routers/connectors";
import { syncConsoleRouter } from "./routers/sync-console";
import { usersRouter } from "./routers/users";
import { createCallerFactory, router } from "./trpc";

/** Every router, registered by hand. */
export const appRouter = router({
  me: meRouter,
  users: usersRouter,
  audit: auditRouter,
  exceptions: exceptionsRouter,
  alerts: alertsRouter,
  sync: syncRouter,
  connectors: connectorsRouter,
  syncConsole: syncConsoleRouter,
  mappings: mappingsRouter,
  kpis: kpisRouter,
  reconciliation: reconciliationRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
