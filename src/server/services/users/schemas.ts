import { z } from "zod";
import { ROLES } from "../../auth/roles";
import { PASSWORD_MIN_LENGTH } from "../../auth/password";

const scopeCode = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z0-9][A-Z0-9_-]{0,19}$/, "a code is 1–20 letters, digits, '-' or '_'");

export const roleList = z
  .array(z.enum(ROLES))
  .min(1, "a user needs at least one role")
  .transform((r) => [...new Set(r)].sort());

export const scopeInput = z.object({
  entities: z.array(scopeCode).max(100).transform((c) => [...new Set(c)].sort()),
  regions: z.array(scopeCode).max(100).transform((c) => [...new Set(c)].sort()),
});

export const createUserInput = z.object({
  email: z.email("enter a valid e-mail address").trim().toLowerCase().max(254),
  name: z.string().trim().min(1, "enter the person's name").max(120),
  password: z
    .string()
    .min(PASSWORD_MIN_LENGTH, `the password must be at least ${PASSWORD_MIN_LENGTH} characters`)
    .max(256)
    .optional(),
  roles: roleList,
  scope: scopeInput.default({ entities: [], regions: [] }),
});

export const updateUserInput = z.object({
  id: z.uuid(),
  /** the updatedAt the editor saw; a newer one means someone else changed the user */
  expectedUpdatedAt: z.iso.datetime({ offset: true }),
  name: z.string().trim().min(1).max(120).optional(),
  roles: roleList.optional(),
  scope: scopeInput.optional(),
  password: z.string().min(PASSWORD_MIN_LENGTH).max(256).optional(),
});

export const setDisabledInput = z.object({
  id: z.uuid(),
  disabled: z.boolean(),
});

export const listUsersInput = z.object({
  search: z.string().trim().max(100).optional(),
  role: z.enum(ROLES).optional(),
  status: z.enum(["active", "disabled", "all"]).default("all"),
});

export type CreateUserInput = z.infer<typeof createUserInput>;
export type UpdateUserInput = z.infer<typeof updateUserInput>;
export type SetDisabledInput = z.infer<typeof setDisabledInput>;
export type ListUsersInput = z.infer<typeof listUsersInput>;
