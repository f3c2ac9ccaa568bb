import type { Snapshot } from '../protocol.js';
import { createRedactor, type RedactRule } from './redact.js';
import { SnapshotWalk } from './snapshot-walk.js';
import { reasonOf } from './snapshot-values.js';
import { integerOption, invalid, objectOption } from './validate.js';

export { DEFAULT_REDACT_KEYS, type RedactRule } from './redact.js';

/** Bounds on one snapshot. Each one shows in the output (a marker) and in `truncated` when it bites. */
export interface SerializeLimits {
  /**
   * Nesting levels kept; deeper containers become `{ $taskscope: 'depth' }`. At most 1000.
   * @defaultValue 8
   */
  maxDepth: number;
  /**
   * Characters of a string kept; longer ones become a `truncated` marker with a preview.
   * @defaultValue 1024
   */
  maxStringLength: number;
  /**
   * Items kept per array (and Set); the rest are counted in a final `more` marker.
   * @defaultValue 50
   */
  maxArrayLength: number;
  /**
   * Keys kept per object (and Map); the rest are counted under the key `"…"`.
   * @defaultValue 50
   */
  maxKeys: number;
  /**
   * Approximate JSON size of the whole snapshot, in characters.
   * @defaultValue 16384
   */
  maxBytes: number;
}

export const DEFAULT_SERIALIZE_LIMITS: SerializeLimits = Object.freeze({
  maxDepth: 8,
  maxStringLength: 1024,
  maxArrayLength: 50,
  maxKeys: 50,
  maxBytes: 16 * 1024,
});

/** Options of {@link createSerializer}. */
export interface SerializerOptions {
  /**
   * Bounds on each snapshot.
   * @defaultValue DEFAULT_SERIALIZE_LIMITS
   */
  limits?: Partial<SerializeLimits>;
  /**
   * Keys whose values are redacted; a list replaces the defaults, `false` turns redaction off.
   * @defaultValue DEFAULT_REDACT_KEYS
   */
  redact?: readonly RedactRule[] | false;
}

export interface SnapshotResult {
  value: Snapshot;
  /** Something was cut by a limit (string, array, keys, depth or size). */
  truncated: boolean;
  /** Length of `JSON.stringify(value)`. */
  bytes: number;
}

// Recursion depth is bounded by maxDepth; this keeps it far from the engine's stack limit.
const MAX_DEPTH_LIMIT = 1000;

/**
 * Builds a snapshot function: a bounded, redacted, JSON-safe copy of any value, as BullMQ would
 * store it (`toJSON` honoured) but with markers for what JSON would lose or what was cut. It
 * never throws, and its work is bounded by the limits whatever the input.
 *
 * @example
 * ```ts
 * const serialize = createSerializer({ limits: { maxStringLength: 100 } });
 * serialize({ to: 'a@b.c', password: 'hunter2' }).value;
 * // { to: 'a@b.c', password: { $taskscope: 'redacted' } }
 * ```
 */
export function createSerializer(options?: SerializerOptions): (value: unknown) => SnapshotResult {
  const given = objectOption<SerializerOptions>('options', options);
  const limits = resolveSerializeLimits(given.limits);
  const isSecret = createRedactor(given.redact);
  return (value) => {
    const walk = new SnapshotWalk(limits, isSecret);
    let snapshot: Snapshot;
    try {
      snapshot = walk.snap(value, '', 1, false);
    } catch (error) {
      // Only reachable through engine failures (e.g. out of memory); the walk guards user code.
      snapshot = { $taskscope: 'unreadable', reason: reasonOf(error) };
      walk.used = JSON.stringify(snapshot).length;
    }
    return { value: snapshot, truncated: walk.truncated, bytes: walk.used };
  };
}

/**
 * Checks partial limits and fills in the defaults.
 *
 * @example
 * ```ts
 * resolveSerializeLimits({ maxDepth: 0 }); // TypeError: Expected limits.maxDepth to be an integer >= 1, got 0
 * ```
 */
export function resolveSerializeLimits(input: unknown): SerializeLimits {
  const given = objectOption<SerializeLimits>('limits', input);
  const maxDepth = integerOption('limits.maxDepth', given.maxDepth, DEFAULT_SERIALIZE_LIMITS.maxDepth, 1);
  if (maxDepth > MAX_DEPTH_LIMIT) invalid('limits.maxDepth', `an integer from 1 to ${MAX_DEPTH_LIMIT}`, maxDepth);
  return {
    maxDepth,
    maxStringLength: integerOption('limits.maxStringLength', given.maxStringLength, DEFAULT_SERIALIZE_LIMITS.maxStringLength, 0),
    maxArrayLength: integerOption('limits.maxArrayLength', given.maxArrayLength, DEFAULT_SERIALIZE_LIMITS.maxArrayLength, 0),
    maxKeys: integerOption('limits.maxKeys', given.maxKeys, DEFAULT_SERIALIZE_LIMITS.maxKeys, 0),
    maxBytes: integerOption('limits.maxBytes', given.maxBytes, DEFAULT_SERIALIZE_LIMITS.maxBytes, 0),
  };
}
