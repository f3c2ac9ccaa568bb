import type { JobStatus, TaskRecord } from 'taskscope/protocol';
import { addOutcome, mergedLabel } from './adds.js';

/** The words a job answers to besides its name and queue: its state and what became of its add. */
function stateWords(task: TaskRecord, status: JobStatus | undefined): string {
  const outcome = addOutcome(task, status);
  const words = [status?.state ?? ''];
  if (outcome.kind === 'failed') words.push('failed', 'add failed', 'enqueue failed');
  if (outcome.kind === 'merged') words.push('merged', 'duplicate', mergedLabel(outcome));
  if (task.late) words.push('late');
  if (task.delayMs > 0) words.push('delayed');
  return words.join(' ');
}

/**
 * Case-insensitive match of a job against filter text (already trimmed and lower-cased): its
 * name, queue, job id, state ("failed", "delayed", "merged", "late") or the text of its data.
 */
export function taskMatches(task: TaskRecord, status: JobStatus | undefined, needle: string): boolean {
  if (!needle) return true;
  const head = `${task.name} ${task.queue} ${task.jobId ?? ''} ${stateWords(task, status)}`.toLowerCase();
  if (head.includes(needle)) return true;
  return JSON.stringify(task.data).toLowerCase().includes(needle);
}

/** Normalizes what the user typed into the filter box. */
export function filterNeedle(text: string): string {
  return text.trim().toLowerCase();
}
