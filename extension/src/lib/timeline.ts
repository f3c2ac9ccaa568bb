import type { JobStatus, RequestRecord } from 'taskscope/protocol';

/** One job's lane in the timeline, in ms from the request's start. */
export interface TimelineLane {
  seq: number;
  label: string;
  enqueueAt: number;
  /** Waiting in the queue: from enqueue (or its due time) until processing started or now. */
  wait: { from: number; to: number } | null;
  run: { from: number; to: number } | null;
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

/**
 * Lays out the timeline: the request bar with a mark per enqueue, and a lane per job with its
 * wait and run time, from the record and the latest status. `now` closes unfinished bars.
 */
export function buildTimeline(record: RequestRecord, statuses: ReadonlyMap<number, JobStatus>, now: number, maxLanes = 40): TimelineModel {
  const start = record.request.startedAt;
  const requestMs = record.request.durationMs ?? Math.max(0, now - start);
  const marks = record.tasks.map((t) => ({ seq: t.seq, at: t.offsetMs, late: t.late }));
  const lanes: TimelineLane[] = [];
  let endMs = requestMs;
  for (const task of record.tasks) {
    endMs = Math.max(endMs, task.offsetMs + task.enqueueMs);
    if (lanes.length >= maxLanes) continue;
    const status = statuses.get(task.seq);
    const at = (epoch: number | null): number | null => (epoch === null ? null : epoch - start);
    const created = at(status?.timestamp ?? null) ?? task.offsetMs;
    const waitFrom = task.scheduledFor !== null ? Math.max(created, task.scheduledFor - start) : created;
    const processed = at(status?.processedOn ?? null);
    const finished = at(status?.finishedOn ?? null);
    const open = status && !['completed', 'failed', 'removed'].includes(status.state) ? now - start : null;
    const wait = status ? { from: waitFrom, to: processed ?? open ?? waitFrom } : null;
    const run = processed !== null ? { from: processed, to: finished ?? open ?? processed } : null;
    // A job delayed by an hour would squeeze everything else into a sliver: its pending wait
    // does not stretch the scale; the lane says when it is due instead.
    const pendingDelay = task.scheduledFor !== null && (!status || status.state === 'delayed');
    if (run) endMs = Math.max(endMs, run.to);
    if (wait && !pendingDelay) endMs = Math.max(endMs, wait.to);
    lanes.push({
      seq: task.seq,
      label: `#${task.seq} ${task.name}`,
      enqueueAt: task.offsetMs,
      wait,
      run,
      state: status?.state ?? null,
      dueAt: pendingDelay && task.scheduledFor !== null ? task.scheduledFor - start : null,
    });
  }
  endMs = Math.max(endMs, 1);
  // Spans past the right edge are clipped to it; `dueAt` tells the rest.
  const clip = (span: { from: number; to: number } | null) =>
    span && { from: Math.min(span.from, endMs), to: Math.min(span.to, endMs) };
  for (const lane of lanes) {
    lane.wait = clip(lane.wait);
    lane.run = clip(lane.run);
    if (lane.dueAt !== null && lane.dueAt <= endMs) lane.dueAt = null;
  }
  return { requestMs, endMs, marks: thinMarks(marks, endMs), lanes, hiddenLanes: Math.max(0, record.tasks.length - lanes.length) };
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
