import { performance } from 'node:perf_hooks';
import type { RecordSummary } from '../protocol.js';
import { addToSummary } from './analyze.js';
import type { TaskscopeRuntime } from './runtime.js';
import type { CapturedTrace, EnqueueSpec } from './scope.js';
import { TaskEntry } from './task-entry.js';

/** Where the tasks of one enqueue call go: after `lastSeq`, counted into `summary`. */
export interface TaskTarget {
  lastSeq: number;
  /** `performance.now()` when the request (or job run) started. */
  startPerf: number;
  late: boolean;
  summary: RecordSummary;
}

/**
 * The tasks of one enqueue call, numbered on from `target.lastSeq`, each with the call site
 * captured once for the call and counted into the summary. Shared by everything that records
 * enqueues (requests, WebSocket messages, job runs); each decides which tasks it keeps.
 *
 * @example
 * ```ts
 * const entries = createTasks(runtime, specs, wrapper, { lastSeq: 0, startPerf, late: false, summary });
 * ```
 */
export function createTasks(runtime: TaskscopeRuntime, specs: EnqueueSpec[], trace: CapturedTrace | undefined, target: TaskTarget): TaskEntry[] {
  // Captured by the instrumentation, read with the next deferred work: V8's frames go within a millisecond.
  const site = trace === undefined ? undefined : runtime.callerStack(trace);
  const enqueuedAt = Date.now();
  const offsetMs = Math.round((performance.now() - target.startPerf) * 1000) / 1000;
  const callSeq = target.lastSeq + 1;
  const entries: TaskEntry[] = new Array(specs.length);
  target.summary.calls += 1;
  for (let index = 0; index < specs.length; index += 1) {
    const spec = specs[index]!;
    const entry = new TaskEntry(runtime.serialize, callSeq + index, spec.queue, spec.prefix, spec.name, spec.via, enqueuedAt, offsetMs, target.late, callSeq, specs.length);
    entry.parent = spec.parent ?? null;
    entry.schedulerId = spec.schedulerId ?? null;
    entry.site = site;
    addToSummary(target.summary, entry);
    entries[index] = entry;
  }
  site?.resolveInto(entries);
  return entries;
}
