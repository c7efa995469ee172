/**
 * Text similarity for mapping suggestions: pure functions, no I/O. See
 * docs/adr/ for why suggestions score the way they do.
 */

/** lower case, accents and punctuation gone, single spaces: "Changi  Service-desk" → "changi service desk" */
export function normalize(s: string): string {
  return s
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .trim();
}

function bigrams(s: string): Map<string, number> {
  const out = new Map<string, number>();
  const t = normalize(s).replace(/ /g, "");
  for (let i = 0; i < t.length - 1; i++) {
    const g = t.slice(i, i + 2);
    out.set(g, (out.get(g) ?? 0) + 1);
  }
  return out;
}

/**
 * Sørensen–Dice coefficient over character bigrams of the normalized texts, 0 (nothing in
 * common) to 1 (the same text once normalized). Robust to word order, punctuation, case and
 * small typos; one-character texts compare equal or not at all.
 */
export function dice(a: string, b: string): number {
  const na = normalize(a).replace(/ /g, "");
  const nb = normalize(b).replace(/ /g, "");
  if (na === "" || nb === "") return 0;
  if (na === nb) return 1;
  if (na.length < 2 || nb.length < 2) return 0;
  const A = bigrams(a);
  const B = bigrams(b);
  let common = 0;
  for (const [g, n] of A) common += Math.min(n, B.get(g) ?? 0);
  return (2 * common) / (na.length - 1 + (nb.length - 1));
}

/** Codes equal once case and punctuation are ignored ("hv-3516" = "HV 3516"). */
export function sameCode(a: string | null | undefined, b: string | null | undefined): boolean {
  if (!a || !b) return false;
  const na = normalize(a).replace(/ /g, "");
  return na !== "" && na === normalize(b).replace(/ /g, "");
}

/** A share 0–1 as a whole percentage, rounded down so that 99.6% never reads as a certain 100%. */
export const percent = (x: number) => Math.max(0, Math.min(100, Math.floor(x * 100 + 1e-9)));
