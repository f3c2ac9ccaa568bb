import type { NPlusOneGroup, QueueTally, RecordSummary, TaskRecord } from '../protocol.js';

/**
 * An empty summary. `byQueue` and `byName` have no prototype, so a queue or job named
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
    immediate: 0,
    delayed: 0,
    failed: 0,
    late: 0,
    enqueueMs: 0,
    byQueue: Object.create(null) as Record<string, QueueTally>,
    byName: Object.create(null) as Record<string, QueueTally>,
  };
}

/**
 * Counts one task into a summary. Every task is either immediate (no delay) or delayed; a failed
 * enqueue is also counted in `failed`, a late one also in `late`.
 *
 * @example
 * ```ts
 * const summary = createSummary();
 * for (const task of tasks) addToSummary(summary, task);
 * ```
 */
export function addToSummary(summary: RecordSummary, task: TaskRecord): void {
  summary.total += 1;
  if (task.delayMs > 0) summary.delayed += 1;
  else summary.immediate += 1;
  if (task.error !== null) summary.failed += 1;
  if (task.late) summary.late += 1;
  summary.enqueueMs += task.enqueueMs;
  tally(summary.byQueue, task.queue, task.enqueueMs);
  tally(summary.byName, task.name, task.enqueueMs);
}

function tally(tallies: Record<string, QueueTally>, key: string, enqueueMs: number): void {
  const known = tallies[key];
  if (known) {
    known.count += 1;
    known.enqueueMs += enqueueMs;
  } else {
    // defineProperty, so even a summary built elsewhere as a plain object takes `__proto__` as data.
    Object.defineProperty(tallies, key, { value: { count: 1, enqueueMs }, enumerable: true, writable: true, configurable: true });
  }
}

/**
 * Finds jobs of one queue and name added one by one (`queue.add`) from the same line of code at
 * least `threshold` times; without stacks (origin `null`) queue and name alone decide. Tasks of
 * `addBulk`, flows and job schedulers are already batched and never count. Biggest groups first.
 *
 * @example
 * ```ts
 * detectNPlusOne(record.tasks, 3);
 * // [{ queue: 'emails', name: 'send-receipt', count: 12, suggestion: '12 "send-receipt" jobs were added one by one …' }]
 * ```
 */
export function detectNPlusOne(tasks: readonly TaskRecord[], threshold: number): NPlusOneGroup[] {
  const groups = new Map<string, NPlusOneGroup>();
  for (const task of tasks) {
    if (task.via !== 'add') continue;
    const origin = task.origin;
    const key = JSON.stringify([task.queue, task.name, origin ? `${origin.file}:${origin.line}` : null]);
    const group = groups.get(key);
    if (group) {
      group.count += 1;
      group.enqueueMs += task.enqueueMs;
      group.seqs.push(task.seq);
    } else {
      groups.set(key, { queue: task.queue, name: task.name, origin, count: 1, enqueueMs: task.enqueueMs, seqs: [task.seq], suggestion: '' });
    }
  }
  const found = [...groups.values()].filter((group) => group.count >= Math.max(2, threshold));
  for (const group of found) group.suggestion = suggestionFor(group);
  // Array.prototype.sort is stable: equal counts keep the order of their first task.
  return found.sort((a, b) => b.count - a.count);
}

function suggestionFor({ queue, name, origin, count }: NPlusOneGroup): string {
  const from = origin ? ` from ${origin.file}:${origin.line}` : '';
  return `${count} "${name}" jobs were added one by one to "${queue}"${from}. `
    + `Batch them with queue.addBulk([...]): one round trip instead of ${count}.`;
}
