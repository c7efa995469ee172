import { OWNER_TEAMS, type OwnerTeam } from "../domain/enums";
import type { Role } from "./roles";

/**
 * Which exception owner teams each role acts for. Hourbridge has no HR role: the PMO keeps
 * people mappings and cost-rate follow-ups, so HR-owned exceptions are the PMO's to act on;
 * integration exceptions (dead postings, refused payloads) are finance ops', who replay dead
 * letters. Admins act on everything. Everyone in the queue sees all teams within their scope.
 */
export const TEAMS_OF_ROLE: Record<Role, readonly OwnerTeam[]> = {
  admin: OWNER_TEAMS,
  finance_ops: ["finance", "integration"],
  pmo: ["pmo", "hr"],
  executive: [],
};

export function teamsOf(roles: readonly Role[]): OwnerTeam[] {
  return OWNER_TEAMS.filter((t) => roles.some((r) => TEAMS_OF_ROLE[r].includes(t)));
}

export function canActFor(roles: readonly Role[], team: OwnerTeam): boolean {
  return roles.some((r) => TEAMS_OF_ROLE[r].includes(team));
}
