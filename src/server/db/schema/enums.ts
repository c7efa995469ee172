import { pgEnum } from "drizzle-orm/pg-core";
import {
  ENTRY_STATES,
  EXCEPTION_STATUSES,
  OWNER_TEAMS,
  PERIOD_STATUSES,
  POSTING_KINDS,
  POSTING_STATUSES,
  PROJECT_STATUSES,
  CONTRACT_TYPES,
  SEVERITIES,
  SOURCE_SYSTEMS,
  SYNC_RUN_STATUSES,
  CONNECTOR_ROLES,
} from "../../domain/enums";

export const sourceSystemEnum = pgEnum("source_system", SOURCE_SYSTEMS);
export const projectStatusEnum = pgEnum("project_status", PROJECT_STATUSES);
export const contractTypeEnum = pgEnum("contract_type", CONTRACT_TYPES);
export const periodStatusEnum = pgEnum("period_status", PERIOD_STATUSES);
export const entryStateEnum = pgEnum("entry_state", ENTRY_STATES);
export const postingKindEnum = pgEnum("posting_kind", POSTING_KINDS);
export const postingStatusEnum = pgEnum("posting_status", POSTING_STATUSES);
export const ownerTeamEnum = pgEnum("owner_team", OWNER_TEAMS);
export const severityEnum = pgEnum("severity", SEVERITIES);
export const exceptionStatusEnum = pgEnum("exception_status", EXCEPTION_STATUSES);
export const syncRunStatusEnum = pgEnum("sync_run_status", SYNC_RUN_STATUSES);
export const connectorRoleEnum = pgEnum("connector_role", CONNECTOR_ROLES);
