import Big from "big.js";

const group = (int: string) => int.replace(/\B(?=(\d{3})+(?!\d))/g, ",");

/**
 * "USD 6,930" or, with cents, "USD 6,930.50". Amounts arrive as decimal strings and are
 * rounded half-up as decimals, never through floats.
 */
export function formatAmount(amount: string | null | undefined, currency: string | null | undefined, opts: { cents?: boolean } = {}): string {
  if (amount === null || amount === undefined || !currency) return "—";
  const places = opts.cents ? 2 : 0;
  const fixed = new Big(amount).round(places, Big.roundHalfUp).toFixed(places);
  const negative = fixed.startsWith("-");
  const [int = "0", frac] = fixed.replace("-", "").split(".");
  return `${negative ? "-" : ""}${currency} ${group(int)}${frac ? `.${frac}` : ""}`;
}

/** "38.5", "1,204.25": hours from a decimal string, without trailing zeros. */
export function formatHoursValue(hours: string | null | undefined): string {
  if (!hours) return "0";
  const [int = "0", frac = ""] = new Big(hours).toFixed(2).split(".");
  const trimmed = frac.replace(/0+$/, "");
  return `${group(int)}${trimmed ? `.${trimmed}` : ""}`;
}
