/** Longest error message or stack line Taskscope keeps; a longer one ends with `…`. */
export const MAX_MESSAGE_LENGTH = 2000;
/** Stack trace lines kept per failed attempt. */
export const MAX_TRACE_LINES = 20;

/**
 * Bounds a string from the app (an error message, a stack trace) so that one runaway value
 * cannot bloat a record or an answer; the cut shows as a trailing `…`.
 *
 * @example
 * ```ts
 * clip('x'.repeat(5000)).length; // 2001
 * ```
 */
export function clip(text: string, max = MAX_MESSAGE_LENGTH): string {
  return text.length > max ? `${sliceWhole(text, max)}…` : text;
}

/**
 * The first `length` characters, without splitting a surrogate pair, as a string of its own:
 * V8 makes a slice a view that keeps the whole original alive (a 1 KB preview pinning a 1.5 MB
 * string), so a cut is copied, through a one-character concatenation V8 flattens into a new string.
 *
 * @example
 * ```ts
 * sliceWhole(hugeUrl, 2048); // 2,048 characters; `hugeUrl` can be collected
 * ```
 */
export function sliceWhole(text: string, length: number): string {
  if (length <= 0) return '';
  if (length >= text.length) return text;
  const code = text.charCodeAt(length - 1);
  const cut = text.slice(0, code >= 0xd800 && code <= 0xdbff ? length - 1 : length);
  return (` ${cut}`).slice(1);
}
