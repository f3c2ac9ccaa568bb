/**
 * A stored run's summary, worked out from its tasks rather than kept: a run's summary is nearly
 * always what its tasks give (stored-run.ts keeps it only when it is not).
 */
import { addCallToSummary, addToSummary, createSummary } from '../core/analyze.js';
import type { RecordSummary, TaskRecord } from '../protocol.js';

/**
 * The summary the tasks give when nothing was dropped and calls settled in the order they
 * started: what a run's summary is nearly always. Counted exactly as the recording counts.
 */
export function summaryOf(tasks: readonly TaskRecord[]): RecordSummary {
  const summary = createSummary();
  let callStart = 0;
  for (let index = 0; index < tasks.length; index += 1) {
    const task = tasks[index]!;
    addToSummary(summary, task);
    if (task.error !== null) {
      summary.failed += 1;
      summary.jobs -= 1;
    } else if (task.duplicateOf !== null) {
      summary.duplicates += 1;
      summary.jobs -= 1;
    }
    const next = tasks[index + 1];
    if (next === undefined || next.callSeq !== task.callSeq) {
      summary.calls += 1;
      addCallToSummary(summary, tasks.slice(callStart, index + 1), task.enqueueMs);
      callStart = index + 1;
    }
  }
  return summary;
}

/**
 * Whether {@link summaryOf} gives `summary` back. Checked without building one when every task
 * went to one queue under one name (nearly every run): then both tallies took every call's time
 * exactly as the total did, and, nothing untallied, that queue's and that name's counts being
 * the total leaves room for no other key (every add is counted in both, see `RecordSummary`).
 */
export function isSummaryOf(summary: RecordSummary, tasks: readonly TaskRecord[]): boolean {
  const first = tasks[0];
  if (first === undefined || summary.untallied !== 0) return sameSummary(summary, summaryOf(tasks));
  let jobs = 0, duplicates = 0, failed = 0, delayed = 0, late = 0, calls = 0, enqueueMs = 0;
  for (let index = 0; index < tasks.length; index += 1) {
    const task = tasks[index]!;
    if (task.queue !== first.queue || task.name !== first.name) return sameSummary(summary, summaryOf(tasks));
    if (task.error !== null) failed += 1;
    else if (task.duplicateOf !== null) duplicates += 1;
    else jobs += 1;
    if (task.delayMs > 0) delayed += 1;
    if (task.late) late += 1;
    if (tasks[index + 1]?.callSeq !== task.callSeq) {
      calls += 1;
      enqueueMs = Math.round((enqueueMs + task.enqueueMs) * 1000) / 1000;
    }
  }
  const n = tasks.length;
  const queue = summary.byQueue[first.queue];
  const name = summary.byName[first.name];
  return summary.total === n && summary.jobs === jobs && summary.duplicates === duplicates && summary.failed === failed
    && summary.delayed === delayed && summary.immediate === n - delayed && summary.late === late && summary.calls === calls
    && summary.enqueueMs === enqueueMs && queue?.count === n && queue.enqueueMs === enqueueMs && name?.count === n && name.enqueueMs === enqueueMs;
}

function sameSummary(a: RecordSummary, b: RecordSummary): boolean {
  return a.total === b.total && a.jobs === b.jobs && a.duplicates === b.duplicates && a.calls === b.calls
    && a.immediate === b.immediate && a.delayed === b.delayed && a.failed === b.failed && a.late === b.late
    && a.enqueueMs === b.enqueueMs && a.untallied === b.untallied && sameTallies(a.byQueue, b.byQueue) && sameTallies(a.byName, b.byName);
}

function sameTallies(a: RecordSummary['byQueue'], b: RecordSummary['byQueue']): boolean {
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  for (let index = 0; index < keysA.length; index += 1) {
    const key = keysA[index]!;
    if (key !== keysB[index] || a[key]!.count !== b[key]!.count || a[key]!.enqueueMs !== b[key]!.enqueueMs) return false;
  }
  return true;
}
