import { paramReader, type SearchParamsLike } from "@/lib/search-params";
import { listUsersInput, type ListUsersInput } from "@/server/services/users/schemas";

/** The users list's filters as they stand in the URL; anything malformed falls back to defaults. */
export function usersFilterFromParams(params: SearchParamsLike): ListUsersInput {
  const get = paramReader(params);
  const parsed = listUsersInput.safeParse({ search: get("q"), role: get("role"), status: get("status") });
  return parsed.success ? parsed.data : listUsersInput.parse({});
}
