import type { StackFrame, TaskRecord } from 'taskscope/protocol';
import type { AddCounts } from './adds.js';

/** `0.42 ms`, `12.3 ms`, `1.25 s`, `3 min 5 s`; `—` for a missing value. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms < 100 ? ms.toFixed(1) : Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** `1 job`, `12 jobs`. */
export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/**
 * The request's one-line summary, e.g. `12 jobs (8 immediate, 4 delayed) · 45.2 ms enqueueing`
 * (`· 2 added late` when some came after the response or the message's turn), or, when some adds
 * made no job of their own, `3 adds → 2 jobs (…) · 1 merged into an existing job`.
 */
export function summaryLine(counts: AddCounts, enqueueMs: number): string {
  const head = counts.adds === counts.jobs ? plural(counts.jobs, 'job') : `${plural(counts.adds, 'add')} → ${plural(counts.jobs, 'job')}`;
  const parts = [counts.jobs > 0 ? `${head} (${counts.immediate} immediate, ${counts.delayed} delayed)` : head];
  // Apart from the kinds: a late add is also immediate or delayed (or failed, or merged).
  if (counts.late) parts.push(`${counts.late} added late`);
  if (counts.failed) parts.push(`${plural(counts.failed, 'add')} failed`);
  if (counts.merged) parts.push(`${counts.merged} merged into ${counts.merged === 1 ? 'an existing job' : 'existing jobs'}`);
  const calls = counts.calls > 0 && counts.calls < counts.adds ? ` in ${plural(counts.calls, 'call')}` : '';
  parts.push(`${formatMs(enqueueMs)} enqueueing${calls}`);
  return parts.join(' · ');
}

/** A job's enqueue time; a batch's is shared: `8.9 ms, one call for 3 jobs`. */
export function formatEnqueue(task: Pick<TaskRecord, 'enqueueMs' | 'callSize'>): string {
  return task.callSize > 1 ? `${formatMs(task.enqueueMs)}, one call for ${task.callSize} jobs` : formatMs(task.enqueueMs);
}

/** A delay as people say it: `30 s`, `1 min 30 s`, `1.5 s`, `250 ms`. */
export function formatDelayMs(ms: number): string {
  if (ms >= 1000 && ms % 1000 === 0) {
    const s = ms / 1000;
    return s < 60 ? `${s} s` : s % 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s / 60} min`;
  }
  return formatMs(ms);
}

/** Local wall-clock time to the second, e.g. `14:03:07`. */
export function formatTime(epochMs: number | null): string {
  return formatClock(epochMs).replace(/\.\d{3}$/, '');
}

/** The last path segments of a file, short enough for a table cell. */
export function shortFile(file: string): string {
  const clean = file.replace(/^file:\/\//, '');
  const parts = clean.split(/[\\/]/);
  return parts.length > 3 ? `…/${parts.slice(-3).join('/')}` : clean;
}

/** `src/routes/orders.ts:45`, or `—` when no frame was captured. */
export function formatOrigin(frame: StackFrame | null, short = false): string {
  if (!frame) return '—';
  return `${short ? shortFile(frame.file) : frame.file}:${frame.line}`;
}

/** `src/routes/orders.ts:45 in createOrder`. */
export function formatOriginWithFunction(frame: StackFrame | null): string {
  if (!frame) return 'unknown origin';
  return frame.function ? `${formatOrigin(frame)} in ${frame.function}` : formatOrigin(frame);
}

/** Local wall-clock time with milliseconds, e.g. `14:03:07.120`. */
export function formatClock(epochMs: number | null): string {
  if (epochMs === null || !Number.isFinite(epochMs)) return '—';
  const d = new Date(epochMs);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** The "delay / due" cell of the job table: `30 s → 10:42:07`. */
export function formatDelay(task: TaskRecord): string {
  if (task.delayMs > 0 && task.scheduledFor !== null) return `${formatDelayMs(task.delayMs)} → ${formatTime(task.scheduledFor)}`;
  if (task.delayMs > 0) return formatDelayMs(task.delayMs);
  return '—';
}
