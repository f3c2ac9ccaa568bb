import { sliceWhole } from './clip.js';
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
  // Runs on every request: the URL is rebuilt only when one of its parameters is secret.
  const shown = query === -1 || !hasSecretKey(url, query + 1, isSecret) ? url : redactQuery(url, query, isSecret);
  // A copy, so a record never keeps an app's huge URL alive through a slice of it.
  return shown.length > MAX_URL_LENGTH ? `${sliceWhole(shown, MAX_URL_LENGTH)}…` : shown;
}

function hasSecretKey(url: string, from: number, isSecret: KeyRedactor): boolean {
  for (let start = from; start < url.length;) {
    const amp = url.indexOf('&', start);
    const end = amp === -1 ? url.length : amp;
    const equals = url.indexOf('=', start);
    if (equals !== -1 && equals < end && isSecret(decodeKey(url.slice(start, equals)))) return true;
    start = end + 1;
  }
  return false;
}

function redactQuery(url: string, query: number, isSecret: KeyRedactor): string {
  const params = url.slice(query + 1).split('&').map((pair) => {
    const equals = pair.indexOf('=');
    if (equals === -1) return pair;
    return isSecret(decodeKey(pair.slice(0, equals))) ? `${pair.slice(0, equals)}=[redacted]` : pair;
  });
  return `${url.slice(0, query)}?${params.join('&')}`;
}

function decodeKey(key: string): string {
  if (!key.includes('%') && !key.includes('+')) return key;
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return key;
  }
}
