import type { JobRun, JobStatus, RunOutcome } from 'taskscope/protocol';
import { isFinished } from '../../lib/debug-api.js';
import { formatDelayMs, formatMs } from '../../lib/format.js';

/** What a stretch of a job's life stands for. */
export type AttemptSegmentKind = 'delay' | 'wait' | 'run' | 'backoff';

export interface AttemptSegment {
  kind: AttemptSegmentKind;
  /** Epoch ms. */
  from: number;
  to: number;
  /** The attempt a `run` is, or the one a `backoff` follows. */
  attempt: number | null;
  outcome: RunOutcome | null;
  /** What a person reads: `attempt 1 failed after 512 ms`. */
  label: string;
}

export interface AttemptTimeline {
  /** Epoch ms of the left and right edges. */
  startAt: number;
  endAt: number;
  segments: AttemptSegment[];
}

const OUTCOME_WORDS: Record<RunOutcome, string> = {
  running: 'running for',
  completed: 'completed in',
  failed: 'failed after',
  stalled: 'stalled after',
  moved: 'moved itself after',
};

function segment(kind: AttemptSegmentKind, from: number, to: number, run: JobRun | null): AttemptSegment {
  const ms = Math.max(0, to - from);
  const label =
    kind === 'run' && run ? `attempt ${run.attempt} ${OUTCOME_WORDS[run.outcome]} ${formatMs(ms)}`
    : kind === 'backoff' ? `backoff ${formatMs(ms)}`
    : kind === 'delay' ? `delayed ${formatDelayMs(ms)}`
    : `waited ${formatMs(ms)}`;
  return { kind, from, to: Math.max(from, to), attempt: run?.attempt ?? null, outcome: kind === 'run' ? (run?.outcome ?? null) : null, label };
}

/**
 * The delay the job was added with. BullMQ writes a retry's backoff into the job's `delay`, so
 * once an attempt ran, the status no longer tells it: the add's own (`TaskRecord.delayMs`) does.
 */
export function addedDelay(addDelayMs: number | null, runs: readonly JobRun[], status: JobStatus | undefined): number {
  return addDelayMs ?? (runs.length === 0 ? (status?.delayMs ?? 0) : 0);
}

/**
 * Lays out a job's life from its runs: delayed, waiting, each attempt (with its outcome), the
 * backoff between a failed attempt and the next, and, while the job waits for its next attempt,
 * the backoff so far. `status` gives when the job was created; `delayMs` is the delay it was
 * added with ({@link addedDelay}); `now` closes what is still going on. `null` when there is
 * nothing to draw (no run and no status).
 */
export function attemptTimeline(runs: readonly JobRun[], status: JobStatus | undefined, delayMs: number, now: number): AttemptTimeline | null {
  const first = runs[0];
  const created = status?.timestamp ?? first?.startedAt ?? null;
  if (created === null) return null;
  const due = created + delayMs;
  const final = isFinished(status);
  const segments: AttemptSegment[] = [];
  const firstStart = first?.startedAt ?? (final ? (status?.processedOn ?? due) : now);
  if (delayMs > 0) segments.push(segment('delay', created, Math.min(due, firstStart), null));
  if (firstStart > due) segments.push(segment('wait', due, firstStart, null));
  runs.forEach((run, index) => {
    const end = run.finishedAt ?? (run.outcome === 'running' ? now : run.startedAt);
    segments.push(segment('run', run.startedAt, end, run));
    const next = runs[index + 1];
    const gapEnd = next?.startedAt ?? (final || run.outcome === 'completed' ? null : now);
    if (gapEnd === null || gapEnd <= end) return;
    const retry = run.outcome === 'failed' || run.outcome === 'stalled';
    segments.push({ ...segment(retry ? 'backoff' : 'wait', end, gapEnd, null), attempt: run.attempt });
  });
  const endAt = Math.max(created + 1, ...segments.map((s) => s.to));
  return { startAt: created, endAt, segments };
}
