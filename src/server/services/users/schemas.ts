import { z } from "zod";
import { ROLES } from "../../auth/roles";
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "../../auth/password-policy";

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
  // trimmed and lower-cased before the format check (z.email().trim() would check first)
  email: z.string().trim().toLowerCase().pipe(z.email("enter a valid e-mail address").max(254)),
  name: z.string().trim().min(1, "enter the person's name").max(120),
  password: z
    .string()
    .min(PASSWORD_MIN_LENGTH, `the password must be at least ${PASSWORD_MIN_LENGTH} characters`)
    .max(PASSWORD_MAX_LENGTH)
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
  password: z
    .string()
    .min(PASSWORD_MIN_LENGTH, `the password must be at least ${PASSWORD_MIN_LENGTH} characters`)
    .max(PASSWORD_MAX_LENGTH)
    .optional(),
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
