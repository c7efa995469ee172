import Big from "big.js";
import { formatAmount } from "@/lib/money";

// Money and hours are decimal strings end to end; arithmetic goes through big.js, never floats.
Big.RM = Big.roundHalfUp;

export type Decimal = string;

export const D = (v: Decimal | number): Big => new Big(v);
export const money = (v: Big): Decimal => v.round(2, Big.roundHalfUp).toFixed(2);
export const hoursOf = (v: Big): Decimal => v.round(2, Big.roundHalfUp).toFixed(2);
export const sum = (values: Decimal[]): Big => values.reduce((acc, v) => acc.plus(v), new Big(0));

/** "USD 6,930.00" */
export function formatMoney(amount: Decimal | null, currency: string | null): string {
  if (amount === null || currency === null) return "value unknown";
  return formatAmount(amount, currency, { cents: true });
}

/** "38.5 h" */
export function formatHours(hours: Decimal): string {
  return `${D(hours).toString()} h`;
}
