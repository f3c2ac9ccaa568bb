import type { RecordSummary, StackFrame, TaskRecord } from 'taskscope/protocol';

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

/** The request's one-line summary, e.g. `12 jobs (8 immediate, 4 delayed) · 45.2 ms enqueueing`. */
export function summaryLine(summary: RecordSummary): string {
  const parts = [`${summary.immediate} immediate`, `${summary.delayed} delayed`];
  if (summary.failed) parts.push(`${summary.failed} failed to enqueue`);
  if (summary.late) parts.push(`${summary.late} late`);
  return `${plural(summary.total, 'job')} (${parts.join(', ')}) · ${formatMs(summary.enqueueMs)} enqueueing`;
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

/** The "delay / scheduled for" cell of the job table. */
export function formatDelay(task: TaskRecord): string {
  if (task.delayMs > 0 && task.scheduledFor !== null) return `${formatMs(task.delayMs)} → ${formatClock(task.scheduledFor)}`;
  if (task.delayMs > 0) return formatMs(task.delayMs);
  return '—';
}
