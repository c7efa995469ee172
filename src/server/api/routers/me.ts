import { router, authedProcedure } from "../trpc";

export const meRouter = router({
  /** The signed-in user as the server sees them now (roles and scope reloaded). */
  get: authedProcedure.query(({ ctx }) => ctx.user),
});
