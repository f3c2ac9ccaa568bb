import type { JobStatus, RequestRecord } from 'taskscope/protocol';
import { madeJob } from './adds.js';
import { earlierFailures } from './attempts.js';

/** What a stretch of a job's lane stands for. */
export type SegmentKind = 'delay' | 'wait' | 'retry' | 'run';

export interface TimelineSegment {
  kind: SegmentKind;
  /** Ms from the request's start. */
  from: number;
  to: number;
}

/** One job's lane in the timeline, in ms from the request's start. */
export interface TimelineLane {
  seq: number;
  label: string;
  enqueueAt: number;
  /** Delayed until due, waiting in the queue, earlier attempts and their backoff, running. */
  segments: TimelineSegment[];
  state: JobStatus['state'] | null;
  /** A delayed job not due within the picture: ms from the request's start when it is due. */
  dueAt: number | null;
}

export interface TimelineModel {
  /** The request's own duration, ms. */
  requestMs: number;
  /** The right edge of the picture, ms from the request's start. */
  endMs: number;
  /** Enqueue marks, ms from the request's start (thinned to one per pixel-ish column). */
  marks: Array<{ seq: number; at: number; late: boolean }>;
  lanes: TimelineLane[];
  /** Jobs left out of `lanes` to keep the picture readable. */
  hiddenLanes: number;
}

const FINISHED = new Set<JobStatus['state']>(['completed', 'failed', 'removed']);

/**
 * Lays out the timeline: the request bar with a mark per enqueue, and a lane per job that exists
 * (a failed add or one merged into another job has a mark, no lane), from the record and the
 * latest status. `now` closes unfinished bars.
 */
export function buildTimeline(record: RequestRecord, statuses: ReadonlyMap<number, JobStatus>, now: number, maxLanes = 40): TimelineModel {
  const start = record.request.startedAt;
  const requestMs = record.request.durationMs ?? Math.max(0, now - start);
  const marks = record.tasks.map((t) => ({ seq: t.seq, at: t.offsetMs, late: t.late }));
  const lanes: TimelineLane[] = [];
  let endMs = requestMs;
  let jobs = 0;
  for (const task of record.tasks) {
    endMs = Math.max(endMs, task.offsetMs + task.enqueueMs);
    const status = statuses.get(task.seq);
    if (!madeJob(task, status)) continue;
    jobs++;
    if (lanes.length >= maxLanes) continue;
    const at = (epoch: number | null | undefined): number | null => (epoch === null || epoch === undefined ? null : epoch - start);
    const created = at(status?.timestamp) ?? task.offsetMs;
    const delayMs = status?.delayMs ?? task.delayMs;
    const due = delayMs > 0 ? created + delayMs : created;
    const processed = at(status?.processedOn);
    const finished = at(status?.finishedOn);
    const open = status && !FINISHED.has(status.state) ? now - start : null;
    const segments: TimelineSegment[] = [];
    if (status) {
      const until = processed ?? open ?? due;
      if (delayMs > 0) segments.push({ kind: 'delay', from: created, to: Math.min(due, until) });
      // Before the last attempt started: waiting, or (after a failed attempt) that attempt and its backoff.
      if (until > due) segments.push({ kind: earlierFailures(status) > 0 && processed !== null ? 'retry' : 'wait', from: due, to: until });
      // Between attempts (backoff), the last start belongs to a failed attempt, not to a run now.
      const betweenAttempts = earlierFailures(status) > 0 && !['active', 'completed', 'failed'].includes(status.state);
      if (processed !== null) segments.push({ kind: betweenAttempts ? 'retry' : 'run', from: processed, to: finished ?? open ?? processed });
    }
    // A job delayed by an hour would squeeze everything else into a sliver: its pending delay
    // does not stretch the scale; the lane says when it is due instead.
    const pendingDelay = delayMs > 0 && (!status || status.state === 'delayed') && processed === null;
    for (const segment of segments) if (!(pendingDelay && segment.kind === 'delay')) endMs = Math.max(endMs, segment.to);
    lanes.push({
      seq: task.seq,
      label: `#${task.seq} ${task.name}`,
      enqueueAt: task.offsetMs,
      segments,
      state: status?.state ?? null,
      dueAt: pendingDelay ? due : null,
    });
  }
  endMs = Math.max(endMs, 1);
  // Spans past the right edge are clipped to it; `dueAt` tells the rest.
  for (const lane of lanes) {
    lane.segments = lane.segments.map((s) => ({ ...s, from: Math.min(s.from, endMs), to: Math.min(s.to, endMs) }));
    if (lane.dueAt !== null && lane.dueAt <= endMs) lane.dueAt = null;
  }
  return { requestMs, endMs, marks: thinMarks(marks, endMs), lanes, hiddenLanes: Math.max(0, jobs - lanes.length) };
}

/**
 * Keeps one mark per 1/400 of the width: a thousand enqueues would otherwise be a thousand
 * elements drawn on top of each other. Late marks are kept apart so they stay visible.
 */
function thinMarks(marks: TimelineModel['marks'], endMs: number): TimelineModel['marks'] {
  const seen = new Set<string>();
  return marks.filter((mark) => {
    const key = `${Math.round((mark.at / endMs) * 400)}:${mark.late}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
