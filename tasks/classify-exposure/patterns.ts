/**
 * IAM-style wildcard patterns (`*` and `?`), as used in Action and Resource elements.
 */

const cache = new Map<string, RegExp>();

function toRegExp(pattern: string, ignoreCase: boolean): RegExp {
  const cacheKey = `${ignoreCase ? 'i' : 's'}:${pattern}`;
  let regExp = cache.get(cacheKey);
  if (!regExp) {
    // `?` never stands for a wildcard of the inner pattern, so containment stays sound:
    // "s3:Get?" does not cover "s3:Get*".
    const source = pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '[^*?]' : c.replace(/[.+^${}()|[\]\\/-]/g, '\\$&')))
      .join('');
    regExp = new RegExp(`^${source}$`, ignoreCase ? 'i' : '');
    cache.set(cacheKey, regExp);
  }
  return regExp;
}

export function hasWildcard(value: string): boolean {
  return value.includes('*') || value.includes('?');
}

/**
 * Whether every value that `inner` matches is also matched by `outer`. Exact for concrete
 * values; for two patterns it answers "yes" only when it can be sure.
 */
export function patternCovers(outer: string, inner: string, ignoreCase: boolean): boolean {
  return toRegExp(outer, ignoreCase).test(inner);
}

/** Whether a concrete value matches a pattern. */
export function patternMatches(pattern: string, value: string, ignoreCase: boolean): boolean {
  return toRegExp(pattern, ignoreCase).test(value);
}

/** IAM's "one or many" as a list. */
export function asList<T>(value: T | readonly T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? [...(value as readonly T[])] : [value as T];
}
