import { describe, expect, it } from 'vitest';
import { addOutcome, countAdds } from '../../extension/src/lib/adds.js';
import { summaryLine } from '../../extension/src/lib/format.js';
import { buildTimeline } from '../../extension/src/lib/timeline.js';
import { taskMatches } from '../../extension/src/lib/job-filter.js';
import { flowPlaces, treeOrder } from '../../extension/src/lib/job-tree.js';
import { makeRecord, makeStatus, makeTask } from './fixtures.js';

describe('countAdds() and summaryLine()', () => {
  it('counts a merged add apart from jobs: "2 adds → 1 job"', () => {
    const first = makeTask(1, { opts: { deduplication: { id: 'x' } } });
    const second = makeTask(2, { jobId: first.jobId, duplicate: true, duplicateOf: 1, opts: { deduplication: { id: 'x' } } });
    const record = makeRecord({ tasks: [first, second], droppedTasks: 0 });
    record.summary = { ...record.summary, total: 2, enqueueMs: 1.4 };
    expect(addOutcome(second, undefined)).toEqual({ kind: 'merged', intoSeq: 1, deduplicated: true });
    expect(summaryLine(countAdds(record, new Map()), 1.4)).toBe('2 adds → 1 job (1 immediate, 0 delayed) · 1 merged into an existing job · 1.4 ms enqueueing');
  });

  it('never counts a failed add as a job: "1 add failed"', () => {
    const record = makeRecord({ tasks: [makeTask(1, { jobId: null, error: 'Priority should be between 0 and 2097152' })] });
    record.summary = { ...record.summary, total: 1, enqueueMs: 0.4 };
    expect(summaryLine(countAdds(record, new Map()), 0.4)).toBe('1 add → 0 jobs · 1 add failed · 0.40 ms enqueueing');
  });

  it('counts a merge into another request\'s job once the status says so', () => {
    const task = makeTask(1);
    const record = makeRecord({ tasks: [task] });
    record.summary = { ...record.summary, total: 1 };
    expect(countAdds(record, new Map([[1, makeStatus(task, 'active', { duplicate: true })]])).jobs).toBe(0);
  });

  it('says how many came late apart from immediate and delayed, which count them too', () => {
    const tasks = [makeTask(1), makeTask(2, { late: true }), makeTask(3, { late: true, delayMs: 30_000 })];
    const record = makeRecord({ tasks, droppedTasks: 0 });
    record.summary = { ...record.summary, total: 3, enqueueMs: 2.5 };
    expect(summaryLine(countAdds(record, new Map()), 2.5)).toBe('3 jobs (2 immediate, 1 delayed) · 2 added late · 2.5 ms enqueueing');
  });

  it('counts a flow as one call, with its time once', () => {
    const tasks = [1, 2, 3].map((seq) => makeTask(seq, { via: 'flow', callSeq: 1, callSize: 3, enqueueMs: 8.9 }));
    const record = makeRecord({ tasks });
    record.summary = { ...record.summary, total: 3, enqueueMs: 8.9 };
    expect(summaryLine(countAdds(record, new Map()), record.summary.enqueueMs)).toBe('3 jobs (3 immediate, 0 delayed) · 8.9 ms enqueueing in 1 call');
  });
});

describe('buildTimeline()', () => {
  it('draws no lane for a failed or merged add, a delay apart from the wait, and a failed attempt apart from waiting', () => {
    const record = makeRecord({}, 0);
    const start = record.request.startedAt;
    const delayed = makeTask(1, { delayMs: 1000, scheduledFor: start + 1004 });
    const retried = makeTask(2);
    const failed = makeTask(3, { jobId: null, error: 'bad' });
    const merged = makeTask(4, { duplicateOf: 2, jobId: retried.jobId });
    record.tasks = [delayed, retried, failed, merged];
    const statuses = new Map([
      [1, makeStatus(delayed, 'completed', { delayMs: 1000, timestamp: start + 4, processedOn: start + 1010, finishedOn: start + 1050 })],
      [2, makeStatus(retried, 'completed', { attemptsMade: 2, timestamp: start + 5, processedOn: start + 1400, finishedOn: start + 1500, failedReason: 'timeout' })],
    ]);
    const model = buildTimeline(record, statuses, start + 2000);
    expect(model.lanes.map((l) => l.seq)).toEqual([1, 2]);
    expect(model.lanes[0]!.segments.map((s) => [s.kind, s.from, s.to])).toEqual([['delay', 4, 1004], ['wait', 1004, 1010], ['run', 1010, 1050]]);
    expect(model.lanes[1]!.segments.map((s) => s.kind)).toEqual(['retry', 'run']);
  });
});

describe('taskMatches()', () => {
  it('matches states, names, queues and data text', () => {
    const task = makeTask(1, { data: { sku: 'MUG-01' } });
    expect(taskMatches(task, makeStatus(task, 'failed'), 'failed')).toBe(true);
    expect(taskMatches(task, makeStatus(task, 'completed'), 'failed')).toBe(false);
    expect(taskMatches(makeTask(2, { jobId: null, error: 'x' }), undefined, 'failed')).toBe(true);
    expect(taskMatches(task, undefined, 'mug-01')).toBe(true);
    expect(taskMatches(task, undefined, 'emails')).toBe(true);
  });
});

describe('flowPlaces() and treeOrder()', () => {
  it('nests flow children under their parent and links both ways', () => {
    const child = makeTask(1, { queue: 'warehouse', name: 'pick', parent: { queue: 'shipping', jobId: '900' } });
    const other = makeTask(2, { name: 'unrelated' });
    const parent = makeTask(3, { queue: 'shipping', name: 'ship', jobId: '900' });
    const places = flowPlaces([child, other, parent]);
    expect(places.get(1)).toEqual({ depth: 1, parentSeq: 3, childSeqs: [] });
    expect(places.get(3)?.childSeqs).toEqual([1]);
    expect(treeOrder([child, other, parent], places).map((t) => t.seq)).toEqual([2, 3, 1]);
  });
});
