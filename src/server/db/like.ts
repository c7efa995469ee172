/** Escapes %, _ and \ so user text matches literally inside a LIKE pattern. */
export function escapeLike(s: string): string {
  return s.replace(/[%_\\]/g, "\\$&");
}
