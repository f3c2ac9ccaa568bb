/**
 * Precise start-up checks for options, so a typo fails at once with a message that names the
 * option, what it expected and what it got.
 */

/** Describes a value for an error message: `-1`, `"abc"`, `null`, `an object`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof RegExp) return `a RegExp ${String(value)}`;
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Throws `TypeError: Expected <name> to be <expected>, got <value>`.
 *
 * @example
 * ```ts
 * if (!Number.isInteger(n)) invalid('nPlusOneThreshold', 'an integer >= 2', n);
 * ```
 */
export function invalid(name: string, expected: string, value: unknown): never {
  throw new TypeError(`Expected ${name} to be ${expected}, got ${describeValue(value)}`);
}

/**
 * Returns `value` when it is an integer >= `min` (or `fallback` when undefined), else throws.
 *
 * @example
 * ```ts
 * const maxRecords = integerOption('maxRecords', options.maxRecords, 1000, 1);
 * ```
 */
export function integerOption(name: string, value: unknown, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    invalid(name, `an integer >= ${min}`, value);
  }
  return value;
}

/** Returns `value` when it is a boolean (or `fallback` when undefined), else throws. */
export function booleanOption(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') invalid(name, 'a boolean', value);
  return value;
}

/** Returns `value` when it is a non-empty string (or `fallback` when undefined), else throws. */
export function stringOption(name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.length === 0) invalid(name, 'a non-empty string', value);
  return value;
}

/** Returns `value` when it is a plain object (or `{}` when undefined), else throws. */
export function objectOption<T extends object>(name: string, value: unknown): Partial<T> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid(name, 'an object', value);
  return value as Partial<T>;
}
