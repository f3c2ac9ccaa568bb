import type { JobStatus } from 'taskscope/protocol';

/**
 * Attempts that failed before the one the status describes: BullMQ counts an attempt in
 * `attemptsMade` when it finishes, so a completed job with `attemptsMade: 2` failed once first.
 */
export function earlierFailures(status: JobStatus | undefined): number {
  if (!status) return 0;
  const finished = status.state === 'completed' || status.state === 'failed';
  return Math.max(0, finished ? status.attemptsMade - 1 : status.attemptsMade);
}

/**
 * The reason of the last failed attempt when it is not the job's present state: BullMQ keeps
 * `failedReason` after a retry succeeds, and shows it while the job waits for its next attempt.
 */
export function earlierFailure(status: JobStatus | undefined): { attempt: number; reason: string } | null {
  if (!status?.failedReason || status.state === 'failed') return null;
  const earlier = earlierFailures(status);
  return earlier > 0 ? { attempt: earlier, reason: status.failedReason } : null;
}
