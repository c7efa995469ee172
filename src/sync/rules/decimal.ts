import Big from "big.js";

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
  const [int, frac] = D(amount).toFixed(2).split(".");
  const sign = int!.startsWith("-") ? "-" : "";
  const digits = int!.replace("-", "").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${currency} ${sign}${digits}.${frac}`;
}

/** "38.5 h" */
export function formatHours(hours: Decimal): string {
  return `${D(hours).toString()} h`;
}
