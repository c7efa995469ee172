import { router, adminProcedure } from "../trpc";
import { createUser } from "../../services/users/create";
import { listUsers } from "../../services/users/list";
import { setUserDisabled, updateUser } from "../../services/users/update";
import {
  createUserInput,
  listUsersInput,
  setDisabledInput,
  updateUserInput,
} from "../../services/users/schemas";

/**
 * Users and their access, for admins. Each admin sees and changes only the users within their
 * own scope, and grants only within it; the services read the admin's scope themselves.
 */
export const usersRouter = router({
  list: adminProcedure.input(listUsersInput).query(({ ctx, input }) => listUsers({ ctx: ctx.svc, input })),
  create: adminProcedure.input(createUserInput).mutation(({ ctx, input }) => createUser({ ctx: ctx.svc, input })),
  update: adminProcedure.input(updateUserInput).mutation(({ ctx, input }) => updateUser({ ctx: ctx.svc, input })),
  setDisabled: adminProcedure
    .input(setDisabledInput)
    .mutation(({ ctx, input }) => setUserDisabled({ ctx: ctx.svc, input })),
});
