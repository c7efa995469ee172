export type SearchParamsLike = Record<string, string | string[] | undefined> | URLSearchParams;

/**
 * One reader for a page's search params, whether they come from the server component's
 * `searchParams` record or the client's URLSearchParams: the first value, or undefined.
 */
export function paramReader(params: SearchParamsLike) {
  return (key: string): string | undefined => {
    const v = params instanceof URLSearchParams ? params.get(key) : params[key];
    return (Array.isArray(v) ? v[0] : v) || undefined;
  };
}
