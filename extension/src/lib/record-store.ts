import type { JobStatus, RequestRecord } from 'taskscope/protocol';
import type { TrackedResponse } from './headers.js';
import type { Problem } from './debug-api.js';
import { countAdds } from './adds.js';
import { filterNeedle, taskMatches } from './job-filter.js';

/** One line of the request list and everything loaded for it. */
export interface RequestEntry {
  hit: TrackedResponse;
  record: RequestRecord | null;
  loading: boolean;
  problem: Problem | null;
  /** Live status by task `seq`. */
  statuses: ReadonlyMap<number, JobStatus>;
  statusProblem: Problem | null;
  /** Epoch ms of the last status answer. */
  statusAt: number | null;
  polling: boolean;
}

/** The list keeps at most this many requests; the oldest go first. */
export const MAX_ENTRIES = 500;

/** A fresh entry for a response that was just seen. */
export function newEntry(hit: TrackedResponse): RequestEntry {
  return { hit, record: null, loading: true, problem: null, statuses: new Map(), statusProblem: null, statusAt: null, polling: false };
}

/**
 * Adds a response, newest first. A response already listed (same id, e.g. seen both live and
 * in `getHAR()`) is not added twice. Returns the same array when nothing changed.
 */
export function addHit(entries: readonly RequestEntry[], hit: TrackedResponse, max = MAX_ENTRIES): RequestEntry[] {
  if (entries.some((e) => e.hit.id === hit.id)) return entries as RequestEntry[];
  const next = [newEntry(hit), ...entries];
  // Keep newest-first order by start time even when getHAR() hands older requests in late.
  if (entries.length && hit.startedAt < (entries[0]?.hit.startedAt ?? 0)) next.sort((a, b) => b.hit.startedAt - a.hit.startedAt);
  return next.length > max ? next.slice(0, max) : next;
}

/** Replaces one entry's fields; other entries keep their identity so their rows do not re-render. */
export function patchEntry(entries: readonly RequestEntry[], id: string, patch: Partial<RequestEntry>): RequestEntry[] {
  return entries.map((e) => (e.hit.id === id ? { ...e, ...patch } : e));
}

/**
 * Case-insensitive match on method, path and status, and once loaded on the jobs' names, queues,
 * states ("failed") and data text.
 */
export function filterEntries(entries: readonly RequestEntry[], text: string, onlyWithJobs = false): RequestEntry[] {
  const needle = filterNeedle(text);
  // A request whose count is not known yet stays listed until its record says otherwise.
  const withJobs = onlyWithJobs ? entries.filter((e) => addCount(e) !== 0) : (entries as RequestEntry[]);
  if (!needle) return withJobs;
  return withJobs.filter((e) => {
    const head = `${e.hit.method} ${e.hit.path} ${e.hit.status}`.toLowerCase();
    if (head.includes(needle)) return true;
    const tasks = e.record?.tasks ?? [];
    return tasks.some((t) => taskMatches(t, e.statuses.get(t.seq), needle));
  });
}

/** Jobs to show in the list: those that exist (not failed or merged adds), else the Server-Timing hint. */
export function jobCount(entry: RequestEntry): number | null {
  return entry.record ? countAdds(entry.record, entry.statuses).jobs : entry.hit.taskCount;
}

/** Adds the request made, when its record is loaded (they may be more than its jobs). */
export function addCount(entry: RequestEntry): number | null {
  return entry.record ? entry.record.summary.total : entry.hit.taskCount;
}

/** True when a job of the request failed, or one of its adds did. */
export function hasFailure(entry: RequestEntry): boolean {
  if (entry.record?.tasks.some((t) => t.error !== null)) return true;
  for (const status of entry.statuses.values()) if (status.state === 'failed') return true;
  return false;
}
