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
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
