import { booleanOption, integerOption, invalid, objectOption } from '../core/validate.js';

/** The `ws` option group of `taskscope()`: how WebSocket connections are recorded. */
export interface WsOptions {
  /**
   * Record the connections of the app's `ws` servers (plain `ws`, wrappers, socket.io / engine.io).
   * @defaultValue true
   */
  instrument?: boolean;
  /**
   * Connections kept; when full, the oldest closed one makes room, and a new one finding only open ones is counted as dropped.
   * @defaultValue 50
   */
  maxConnections?: number;
  /**
   * Messages kept per connection (a ring buffer: the oldest go, counted in `droppedMessages`).
   * @defaultValue 100
   */
  maxMessages?: number;
  /**
   * Bytes of text kept per message preview.
   * @defaultValue 10240
   */
  maxTextBytes?: number;
  /**
   * Bytes of binary messages kept as a hex preview; 0 keeps only their size.
   * @defaultValue 0 (256 is a good value when you need it)
   */
  maxBinaryPreviewBytes?: number;
  /**
   * How long a closed connection is kept.
   * @defaultValue 3600000 (1 hour)
   */
  closedTtlMs?: number;
  /**
   * With a shared store (`RedisStore`): a connection's record is written at most this often.
   * @defaultValue 500
   */
  saveIntervalMs?: number;
}

export type ResolvedWsOptions = Required<WsOptions>;

export const DEFAULT_WS_OPTIONS: ResolvedWsOptions = {
  instrument: true,
  maxConnections: 50,
  maxMessages: 100,
  maxTextBytes: 10 * 1024,
  maxBinaryPreviewBytes: 0,
  closedTtlMs: 60 * 60_000,
  saveIntervalMs: 500,
};

const MINIMUM: Record<Exclude<keyof WsOptions, 'instrument'>, number> = {
  maxConnections: 1, maxMessages: 1, maxTextBytes: 0, maxBinaryPreviewBytes: 0, closedTtlMs: 1, saveIntervalMs: 10,
};

/**
 * Applies the defaults of the `ws` option group and checks it, throwing a precise TypeError.
 *
 * @example
 * ```ts
 * resolveWsOptions({ maxMessages: 0 });
 * // TypeError: Expected ws.maxMessages to be an integer >= 1, got 0
 * ```
 */
export function resolveWsOptions(input: unknown): ResolvedWsOptions {
  const given = objectOption<WsOptions>('ws', input);
  const resolved = { ...DEFAULT_WS_OPTIONS };
  for (const key of Object.keys(given) as Array<keyof WsOptions>) {
    if (!(key in DEFAULT_WS_OPTIONS)) invalid(`ws.${key}`, `one of ${Object.keys(DEFAULT_WS_OPTIONS).join(', ')}`, key);
    if (key === 'instrument') resolved.instrument = booleanOption('ws.instrument', given.instrument, true);
    else resolved[key] = integerOption(`ws.${key}`, given[key], DEFAULT_WS_OPTIONS[key], MINIMUM[key]);
  }
  return resolved;
}
