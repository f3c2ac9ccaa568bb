/**
 * Remembers, per queue, one live BullMQ object (Queue or FlowProducer) that enqueued into it,
 * so job status can later be read through the app's own connection without the app passing one.
 */

const REGISTRY_KEY = Symbol.for('taskscope.bullmq.sources');

// Shared through globalThis so a status reader in one copy of taskscope finds queues seen by
// the instrumentation of another copy (a bundled and a linked one). WeakRefs, because the
// registry must never be what keeps an app's closed queue and its sockets alive.
const globals = globalThis as { [REGISTRY_KEY]?: Map<string, WeakRef<object>> };
const sources: Map<string, WeakRef<object>> = (globals[REGISTRY_KEY] ??= new Map());

/** False for a Queue or FlowProducer that is closing or closed: its connection is no use. */
export function isLiveSource(source: object): boolean {
  const state = source as { closing?: unknown; closed?: unknown };
  return !state.closing && state.closed !== true;
}

/**
 * Records `source` as the way to reach `prefix:queue`, unless a live one is already known.
 * Runs on every tracked enqueue, so it is a map read in the common case.
 *
 * @example
 * ```ts
 * rememberSource('bull', 'emails', queue);
 * ```
 */
export function rememberSource(prefix: string, queue: string, source: object): void {
  const key = `${prefix}:${queue}`;
  const known = sources.get(key)?.deref();
  if (known === source || (known !== undefined && isLiveSource(known))) return;
  sources.set(key, new WeakRef(source));
}

/**
 * A live Queue or FlowProducer seen enqueueing into `prefix:queue`, if any.
 *
 * @example
 * ```ts
 * const queue = findSource('bull', 'emails');
 * ```
 */
export function findSource(prefix: string, queue: string): object | undefined {
  const key = `${prefix}:${queue}`;
  const known = sources.get(key)?.deref();
  if (known === undefined) {
    sources.delete(key);
    return undefined;
  }
  return isLiveSource(known) ? known : undefined;
}
