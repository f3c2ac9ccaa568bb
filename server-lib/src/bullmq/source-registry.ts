/**
 * Remembers, per queue, one live BullMQ object (Queue or FlowProducer) that enqueued into it,
 * so job status can later be read through the app's own connection without the app passing one.
 */

const REGISTRY_KEY = Symbol.for('taskscope.bullmq.sources.v2');

interface Registry {
  sources: Map<string, WeakRef<object>>;
  /** Size after the last sweep: the next sweep comes when the map has doubled since. */
  swept: number;
  collected: FinalizationRegistry<string>;
}

const MIN_SWEEP_SIZE = 64;
// Queues already remembered: a Queue enqueues into one queue only, so once per object is enough.
const remembered = new WeakSet<object>();

// Shared through globalThis so a status reader in one copy of taskscope finds queues seen by
// the instrumentation of another copy (a bundled and a linked one). WeakRefs, because the
// registry must never be what keeps an app's closed queue and its sockets alive; entries of
// collected queues are dropped when collected, and of closed ones when the map has doubled.
const globals = globalThis as { [REGISTRY_KEY]?: Registry };
const registry: Registry = (globals[REGISTRY_KEY] ??= createRegistry());

function createRegistry(): Registry {
  const sources = new Map<string, WeakRef<object>>();
  return {
    sources,
    swept: 0,
    collected: new FinalizationRegistry((key) => {
      if (sources.get(key)?.deref() === undefined) sources.delete(key);
    }),
  };
}

/** False for a Queue or FlowProducer that is closing or closed: its connection is no use. */
export function isLiveSource(source: object): boolean {
  const state = source as { closing?: unknown; closed?: unknown };
  return !state.closing && state.closed !== true;
}

function sweep(): void {
  for (const [key, ref] of registry.sources) {
    const source = ref.deref();
    if (source === undefined || !isLiveSource(source)) registry.sources.delete(key);
  }
  registry.swept = registry.sources.size;
}

/**
 * Records `source` as the way to reach `prefix:queue`, unless another live one is already known;
 * true when `source` is the one registered.
 *
 * @example
 * ```ts
 * rememberSource('bull', 'emails', queue);
 * ```
 */
export function rememberSource(prefix: string, queue: string, source: object): boolean {
  const key = `${prefix}:${queue}`;
  const { sources } = registry;
  const known = sources.get(key)?.deref();
  if (known === source) return true;
  if (known !== undefined && isLiveSource(known)) return false;
  sources.set(key, new WeakRef(source));
  registry.collected.register(source, key);
  if (sources.size >= Math.max(MIN_SWEEP_SIZE, registry.swept * 2)) sweep();
  return true;
}

/**
 * {@link rememberSource} for a Queue, which only ever enqueues into its own queue: after the
 * first time, one WeakSet lookup per enqueue (an app adds to the same few queues all day).
 *
 * @example
 * ```ts
 * rememberQueue('bull', queue.name, queue);
 * ```
 */
export function rememberQueue(prefix: string, name: string, queue: object): void {
  if (remembered.has(queue)) return;
  // A second Queue object for a queue already known is checked again next time, so it takes
  // over once the first one is closed.
  if (rememberSource(prefix, name, queue)) remembered.add(queue);
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
  const known = registry.sources.get(key)?.deref();
  if (known === undefined) {
    registry.sources.delete(key);
    return undefined;
  }
  return isLiveSource(known) ? known : undefined;
}

/** How many queues the registry holds now (for tests and diagnostics). */
export function sourceCount(): number {
  return registry.sources.size;
}
