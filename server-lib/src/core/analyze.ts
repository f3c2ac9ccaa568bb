import type { NPlusOneGroup, QueueTally, RecordSummary, TaskRecord } from '../protocol.js';

/**
 * Tallies by queue or job name. Their prototype has no properties and no prototype of its own,
 * so a queue or job named `__proto__`, `constructor` or `toString` is an ordinary entry; and
 * unlike `Object.create(null)` (a dictionary) they stay fast objects: every stored record keeps
 * two, at 100 B instead of 250 and a quarter of the time to make.
 */
class Tallies {}
Object.setPrototypeOf(Tallies.prototype, null);
delete (Tallies.prototype as { constructor?: unknown }).constructor;

/**
 * An empty summary. `byQueue` and `byName` inherit nothing, so a queue or job named
 * `__proto__` or `constructor` is an ordinary entry.
 *
 * @example
 * ```ts
 * const summary = createSummary(); // { total: 0, immediate: 0, …, byQueue: {}, byName: {} }
 * ```
 */
export function createSummary(): RecordSummary {
  return {
    total: 0,
    jobs: 0,
    duplicates: 0,
    calls: 0,
    immediate: 0,
    delayed: 0,
    failed: 0,
    late: 0,
    enqueueMs: 0,
    byQueue: new Tallies() as Record<string, QueueTally>,
    byName: new Tallies() as Record<string, QueueTally>,
    untallied: 0,
  };
}

/** Entries kept in `byQueue` and in `byName`: a request that uses 100,000 job names stays small. */
export const MAX_TALLIES = 100;

/**
 * Counts one add into a summary as it starts: every add is immediate (no delay) or delayed, a
 * late one is also counted in `late`, and it counts as a job until it fails or turns out merged.
 * Time is counted per call, by {@link addCallToSummary}.
 *
 * @example
 * ```ts
 * const summary = createSummary();
 * for (const task of tasks) addToSummary(summary, task);
 * ```
 */
export function addToSummary(summary: RecordSummary, task: TaskRecord): void {
  summary.total += 1;
  summary.jobs += 1;
  if (task.delayMs > 0) summary.delayed += 1;
  else summary.immediate += 1;
  if (task.late) summary.late += 1;
  const queued = tally(summary.byQueue, task.queue);
  const named = tally(summary.byName, task.name);
  if (!queued || !named) summary.untallied += 1;
}

/**
 * Counts one finished enqueue call's time once: in the total, and once in each queue and each
 * job name it enqueued (a flow into two queues adds its time to both, not once per job).
 *
 * @example
 * ```ts
 * addCallToSummary(summary, batchTasks, 8.9);
 * ```
 */
export function addCallToSummary(summary: RecordSummary, tasks: readonly TaskRecord[], elapsedMs: number): void {
  summary.enqueueMs = round(summary.enqueueMs + elapsedMs);
  let lastQueue: string | undefined;
  let lastName: string | undefined;
  const queues = tasks.length > 1 ? new Set<string>() : undefined;
  const names = tasks.length > 1 ? new Set<string>() : undefined;
  for (const task of tasks) {
    if (task.queue !== lastQueue && !queues?.has(task.queue)) addTime(summary.byQueue, (lastQueue = task.queue), elapsedMs);
    if (task.name !== lastName && !names?.has(task.name)) addTime(summary.byName, (lastName = task.name), elapsedMs);
    queues?.add(task.queue);
    names?.add(task.name);
  }
}

function addTime(tallies: Record<string, QueueTally>, key: string, elapsedMs: number): void {
  const known = tallies[key];
  if (known) known.enqueueMs = round(known.enqueueMs + elapsedMs);
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** Counts one add under `key`; false when the table is full and `key` is new. */
function tally(tallies: Record<string, QueueTally>, key: string): boolean {
  const known = tallies[key];
  if (known) {
    known.count += 1;
    return true;
  }
  // Counting keys only when a new one arrives: a request with few queues pays one walk per queue.
  let size = 0;
  for (const _ in tallies) if (++size >= MAX_TALLIES) return false;
  // defineProperty for `__proto__`, so even a summary built elsewhere as a plain object takes it as data.
  if (key === '__proto__') Object.defineProperty(tallies, key, { value: { count: 1, enqueueMs: 0 }, enumerable: true, writable: true, configurable: true });
  else tallies[key] = { count: 1, enqueueMs: 0 };
  return true;
}

/**
 * Finds jobs of one queue and name added one by one (`queue.add`) from the same line of code at
 * least `threshold` times; without stacks (origin `null`) queue and name alone decide. Tasks of
 * `addBulk`, flows and job schedulers are already batched and never count. Biggest groups first.
 *
 * @example
 * ```ts
 * detectNPlusOne(record.tasks, 3);
 * // [{ queue: 'emails', name: 'send-receipt', count: 12, suggestion: 'Batch them with queue.addBulk([...]): one round trip instead of 12.' }]
 * ```
 */
export function detectNPlusOne(tasks: readonly TaskRecord[], threshold: number): NPlusOneGroup[] {
  // Queue → name → file → line: no key string built per task (a record holds up to 1,000).
  const groups = new Map<string, Map<string, Map<string | null, Map<number, NPlusOneGroup>>>>();
  const all: NPlusOneGroup[] = [];
  for (const task of tasks) {
    if (task.via !== 'add') continue;
    const origin = task.origin;
    const byLine = nested(nested(nested(groups, task.queue), task.name), origin ? origin.file : null);
    const line = origin ? origin.line : 0;
    const group = byLine.get(line);
    if (group) {
      group.count += 1;
      group.enqueueMs += task.enqueueMs;
      group.seqs.push(task.seq);
    } else {
      const created = { queue: task.queue, name: task.name, origin, count: 1, enqueueMs: task.enqueueMs, seqs: [task.seq], suggestion: '' };
      byLine.set(line, created);
      all.push(created);
    }
  }
  const found = all.filter((group) => group.count >= Math.max(2, threshold));
  for (const group of found) group.suggestion = suggestionFor(group);
  // Array.prototype.sort is stable: equal counts keep the order of their first task.
  return found.sort((a, b) => b.count - a.count);
}

function nested<K, V extends Map<unknown, unknown>>(map: Map<K, V>, key: K): V {
  let inner = map.get(key);
  if (inner === undefined) map.set(key, (inner = new Map() as V));
  return inner;
}

// The advice alone: the group's own fields say what was found, and the panel shows them beside it.
function suggestionFor({ count }: NPlusOneGroup): string {
  return `Batch them with queue.addBulk([...]): one round trip instead of ${count}.`;
}
