/**
 * Where a keyboard key moves the selection in a list of `length` rows (ArrowUp/Down, Home,
 * End), or `undefined` for any other key, so list views share one behaviour.
 *
 * @example
 * ```ts
 * nextIndex('ArrowDown', 3, 10); // 4
 * nextIndex('Enter', 3, 10);     // undefined
 * ```
 */
export function nextIndex(key: string, index: number, length: number): number | undefined {
  if (key === 'ArrowDown') return Math.min(length - 1, index + 1);
  if (key === 'ArrowUp') return Math.max(0, index - 1);
  if (key === 'Home') return 0;
  if (key === 'End') return length - 1;
  return undefined;
}
