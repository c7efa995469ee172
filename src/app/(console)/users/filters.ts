import { listUsersInput, type ListUsersInput } from "@/server/services/users/schemas";

/** The users list's filters as they stand in the URL; anything malformed falls back to defaults. */
export function usersFilterFromParams(params: Record<string, string | string[] | undefined> | URLSearchParams): ListUsersInput {
  const get = (k: string) => {
    const v = params instanceof URLSearchParams ? params.get(k) : params[k];
    return (Array.isArray(v) ? v[0] : v) || undefined;
  };
  const parsed = listUsersInput.safeParse({ search: get("q"), role: get("role"), status: get("status") });
  return parsed.success ? parsed.data : listUsersInput.parse({});
}
