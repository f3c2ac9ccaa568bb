import type { KeyRedactor } from './redact.js';

/** Longest request URL kept in a record; a longer one is cut and ends with `…`. */
export const MAX_URL_LENGTH = 2048;

/**
 * The request's path and query as a record keeps them: values of secret-looking query
 * parameters (`?token=…`, `?api_key=…`) replaced by `[redacted]`, and the whole bounded.
 *
 * @example
 * ```ts
 * recordedUrl('/reset?token=abc&page=2', isSecret); // '/reset?token=[redacted]&page=2'
 * ```
 */
export function recordedUrl(url: string, isSecret: KeyRedactor): string {
  const query = url.indexOf('?');
  let shown = url;
  if (query !== -1) {
    const params = url.slice(query + 1).split('&').map((pair) => {
      const equals = pair.indexOf('=');
      if (equals === -1) return pair;
      return isSecret(decodeKey(pair.slice(0, equals))) ? `${pair.slice(0, equals)}=[redacted]` : pair;
    });
    shown = `${url.slice(0, query)}?${params.join('&')}`;
  }
  return shown.length > MAX_URL_LENGTH ? `${shown.slice(0, MAX_URL_LENGTH)}…` : shown;
}

function decodeKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return key;
  }
}
