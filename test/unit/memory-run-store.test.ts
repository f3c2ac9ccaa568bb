import { describe, expect, it } from 'vitest';
import { MemoryRunStore } from '../../server-lib/src/worker/memory-run-store.js';
import { FollowUpParent } from '../../server-lib/src/worker/run-store.js';
import { StoredRun } from '../../server-lib/src/worker/stored-run.js';

const worker = { host: 'box', pid: 1, name: null };
const job = (jobId: string, queue = 'emails') => ({ prefix: 'bull', queue, jobId });
const task = (jobId: string | null, seq: number, duplicate: boolean | null = null) => ({ prefix: 'bull', queue: 'emails', jobId, seq, duplicate });
const run = (attempt: number, outcome: 'completed' | 'failed' = 'completed') => new StoredRun(attempt, worker, 1_000, 5, 5_000, outcome, undefined, undefined);

function clock(start = 1_000_000) {
  const now = { at: start };
  return { now, store: new MemoryRunStore(() => now.at) };
}

describe('MemoryRunStore', () => {
  it('gives a request\'s task, a follow-up and a linked lineage back as lineages', async () => {
    const { store } = clock();
    store.linkRequestTasks('req-1', [task('1', 1), task(null, 2), task('1', 3, true)]);
    store.linkFollowUps(new FollowUpParent('req-1', 'bull', 'emails', '1', 2, 2), [task('9', 4)]);
    const lineage = { requestId: 'req-2', parent: { kind: 'request' as const, requestId: 'req-2', seq: 7 }, depth: 1 };
    await store.link([{ job: job('5'), lineage }]);
    expect(await store.lineage(job('1'))).toEqual({ requestId: 'req-1', parent: { kind: 'request', requestId: 'req-1', seq: 1 }, depth: 1 });
    expect(await store.lineage(job('9'))).toEqual({ requestId: 'req-1', parent: { kind: 'job', prefix: 'bull', queue: 'emails', jobId: '1', attempt: 2, seq: 4 }, depth: 2 });
    expect(await store.lineage(job('5'))).toEqual(lineage);
    expect(await store.lineage(job('2'))).toBeUndefined();
  });

  it('keeps runs in attempt order, a later write of an attempt replacing the earlier', async () => {
    const { store } = clock();
    store.linkRequestTasks('req', [task('1', 1)]);
    await store.saveRun(job('1'), 2, run(2, 'failed'));
    await store.saveRun(job('1'), 1, run(1, 'failed'));
    await store.saveRun(job('1'), 2, run(2));
    await store.saveRun(job('1'), 3, null);
    await store.noteStall(job('1'), 1_234);
    const [stored] = await store.read([job('1')]);
    expect(stored!.runs.map((each) => [each.attempt, each.outcome, each.finishedAt, each.runMs])).toEqual([[1, 'failed', 1_005, 5], [2, 'completed', 1_005, 5]]);
    expect(stored).toMatchObject({ droppedRuns: 1, stalls: [1_234] });
  });

  it('keeps nothing of a job that is not linked', async () => {
    const { store } = clock();
    await store.saveRun(job('1'), 1, run(1));
    await store.noteStall(job('1'), 1);
    expect(await store.read([job('1')])).toEqual([undefined]);
  });

  it('forgets a link after 30 minutes', async () => {
    const { now, store } = clock();
    store.linkRequestTasks('req', [task('1', 1)]);
    expect(await store.lineage(job('1'))).toBeDefined();
    now.at += 30 * 60_000 - 1;
    expect(await store.lineage(job('1'))).toBeDefined();
    now.at += 1;
    expect(await store.lineage(job('1'))).toBeUndefined();
  });

  it('holds at most 10,000 jobs, forgetting the oldest half at once', async () => {
    const { store } = clock();
    await store.lineage(job('warm-up')); // from now on links go straight into the tables
    for (let index = 0; index < 10_001; index += 1) store.linkRequestTasks('req', [task(String(index), 1)]);
    expect(await store.lineage(job('0'))).toBeUndefined();
    expect(await store.lineage(job('5000'))).toBeDefined();
    expect(await store.lineage(job('10000'))).toBeDefined();
  });

  it('keeps a link across a generation older than 12 days being rotated out', async () => {
    const { now, store } = clock();
    await store.lineage(job('warm-up'));
    now.at += 2 ** 30 + 1;
    store.linkRequestTasks('req', [task('1', 1)]);
    now.at += 10 * 60_000;
    expect(await store.lineage(job('1'))).toBeDefined();
    now.at += 20 * 60_000;
    expect(await store.lineage(job('1'))).toBeUndefined();
  });

  it('keeps a job linked again 25 days after its first link (ms since a generation stay small integers)', async () => {
    const { now, store } = clock();
    await store.lineage(job('warm-up'));
    store.linkRequestTasks('req-1', [task('1', 1)]);
    now.at += 25 * 24 * 3_600_000;
    store.linkRequestTasks('req-2', [task('1', 1)]);
    expect((await store.lineage(job('1')))?.requestId).toBe('req-2');
  });

  it('trusts, with a creation time, only a link written since', () => {
    const { now, store } = clock();
    store.linkRequestTasks('req', [task('1', 1)]);
    expect(store.lineageNow(job('1'), now.at)).toBeDefined();
    expect(store.lineageNow(job('1'), now.at + 1)).toBeUndefined();
    expect(store.lineageNow(job('1'))).toBeDefined();
  });
});
