/**
 * What an alert rule can watch: a team's open exceptions, counted exactly as the exception
 * queue counts them. Plain data, shared by the services and the console.
 */
export const ALERT_CONDITIONS = {
  value_blocked_over: {
    label: "Value blocked over",
    /** what the threshold is: an amount in the reporting currency, a count, or none */
    threshold: "amount",
    describe: "the value of the team's open exceptions, in the reporting currency, is over the threshold",
  },
  open_count_over: {
    label: "Open exceptions over",
    threshold: "count",
    describe: "the number of the team's open exceptions is over the threshold",
  },
  older_than_sla: {
    label: "Any exception past its SLA",
    threshold: "none",
    describe: "any of the team's open exceptions is older than its code's SLA",
  },
} as const;
export type AlertCondition = keyof typeof ALERT_CONDITIONS;
export const ALERT_CONDITION_LIST = Object.keys(ALERT_CONDITIONS) as [AlertCondition, ...AlertCondition[]];

export function isAlertCondition(v: string): v is AlertCondition {
  return Object.hasOwn(ALERT_CONDITIONS, v);
}

/** Webhook deliveries give up after this many attempts (graphile-worker's exponential backoff in between). */
export const WEBHOOK_MAX_ATTEMPTS = 8;

/** Notifications the console loads at a time. */
export const NOTIFICATIONS_PAGE = 30;

/** Why a user limited to some legal entities or regions sees no alerts. */
export const ALERTS_NEED_FULL_SCOPE =
  "Alerts add up exceptions across every legal entity and region; your access is limited to some of them, so alerts are not shown to you. The exception queue shows what is in your scope.";
