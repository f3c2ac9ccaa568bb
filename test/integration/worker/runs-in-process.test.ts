import { FlowProducer, Queue, Worker, type Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../support/koa-app.js';
import { freshQueueName, redisConnection } from '../../support/redis.js';
import { allFinished, eventually, jobRuns, lineage } from './helpers.js';

// The web app and its Workers in one process, with the default MemoryStore: nothing to configure.
describe('a Worker in a process with Taskscope', () => {
  const connection = redisConnection();
  const names = { orders: freshQueueName('orders'), emails: freshQueueName('emails'), pdfs: freshQueueName('pdfs'), flaky: freshQueueName('flaky'), packing: freshQueueName('packing') };
  const queues = Object.fromEntries(Object.entries(names).map(([key, name]) => [key, new Queue(name, { connection })])) as Record<keyof typeof names, Queue>;
  const flows = new FlowProducer({ connection });
  const workers: Worker[] = [];
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({}, async (ctx) => {
      if (ctx.path === '/order') {
        const job = await queues.orders.add('place-order', { orderId: 7 });
        ctx.body = { jobId: job.id };
      } else if (ctx.path === '/flaky') {
        const attempts = Number(ctx.query.attempts);
        const job = await queues.flaky.add('sync-ledger', { failTimes: Number(ctx.query.fail) }, { attempts, backoff: { type: 'fixed', delay: 50 } });
        ctx.body = { jobId: job.id };
      } else if (ctx.path === '/packing') {
        const job = await queues.packing.add('pack-order', { orderId: 9 });
        ctx.body = { jobId: job.id };
      } else if (ctx.path === '/flow') {
        const tree = await flows.add({ name: 'ship', queueName: names.pdfs, data: { box: 1 }, children: [{ name: 'pick', queueName: names.pdfs, data: { item: 'a' } }] });
        ctx.body = { jobId: tree.job.id, childId: tree.children?.[0]?.job.id };
      }
    });
    workers.push(new Worker(names.orders, async (job: Job) => {
      await job.log('order received');
      await job.updateProgress(50);
      await queues.emails.add('send-confirmation', { orderId: job.data.orderId });
      await job.log('confirmation queued');
      return { placed: true };
    }, { connection }));
    workers.push(new Worker(names.emails, async (job: Job) => {
      // One receipt per line, one by one: an N+1 inside a job.
      for (const line of [1, 2, 3]) await queues.pdfs.add('render-receipt', { orderId: job.data.orderId, line });
      return { sent: true };
    }, { connection }));
    workers.push(new Worker(names.pdfs, async () => ({ rendered: true }), { connection }));
    workers.push(new Worker(names.packing, async (job: Job) => {
      // A flow started inside a job: the box ships once its item is picked.
      await flows.add({ name: 'ship-box', queueName: names.pdfs, data: { orderId: job.data.orderId }, children: [{ name: 'pick-item', queueName: names.pdfs, data: { item: 'a' } }] });
      return { packed: true };
    }, { connection }));
    workers.push(new Worker(names.flaky, async (job: Job) => {
      if (job.attemptsMade < job.data.failTimes) throw new Error(`ledger timeout ${job.attemptsMade + 1}`);
      return { synced: true };
    }, { connection }));
  });

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.close()));
    await app.close();
    await flows.close();
    for (const queue of Object.values(queues)) {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it('records each attempt with its worker, times, outcome, progress and job.log lines', async () => {
    const response = await fetch(`${app.url}/order`);
    const { jobId } = await response.json();
    const answer = await eventually(() => jobRuns(app.url, names.orders, jobId), (a) => allFinished(a, 1));
    const [run] = answer.runs;
    expect(answer.lineage).toEqual({ requestId: response.headers.get('x-debug-id'), parent: { kind: 'request', requestId: response.headers.get('x-debug-id'), seq: 1 }, depth: 1 });
    expect(run).toMatchObject({ attempt: 1, outcome: 'completed', retried: null, error: null, worker: { pid: process.pid } });
    expect(run.finishedAt).toBeGreaterThanOrEqual(run.startedAt);
    expect(run.runMs).toBeGreaterThanOrEqual(0);
    expect(run.logs.lines.map((line: { line: string }) => line.line)).toEqual(['order received', 'confirmation queued']);
    expect(run.progress).toMatchObject({ count: 1, updates: [{ value: 50 }] });
  });

  it('follows the lineage request → job → follow-up → follow-ups enqueued in a loop, flagging the N+1 inside the job', async () => {
    const response = await fetch(`${app.url}/order`);
    const requestId = response.headers.get('x-debug-id')!;
    const tree = await eventually(() => lineage(app.url, requestId), (a) => a.jobs.length === 5 && a.jobs.every((job: any) => job.lastOutcome === 'completed'));
    expect(tree.jobs.map((job: any) => [job.depth, job.queue, job.name])).toEqual([
      [1, names.orders, 'place-order'],
      [2, names.emails, 'send-confirmation'],
      [3, names.pdfs, 'render-receipt'], [3, names.pdfs, 'render-receipt'], [3, names.pdfs, 'render-receipt'],
    ]);
    expect(tree.jobs[1]).toMatchObject({ parent: { queue: names.orders, jobId: tree.jobs[0].jobId }, enqueuedCount: 3, nPlusOneCount: 1 });
    expect(tree.jobs[4].status.state).toBe('completed');
    const email = await jobRuns(app.url, names.emails, tree.jobs[1].jobId);
    const enqueued = email.runs[0].enqueued;
    expect(enqueued.tasks.map((task: any) => [task.name, task.data, task.late])).toEqual([1, 2, 3].map((line) => ['render-receipt', { orderId: 7, line }, false]));
    expect(enqueued.nPlusOne[0]).toMatchObject({ queue: names.pdfs, name: 'render-receipt', count: 3 });
    expect(enqueued.tasks[0].origin.file).toContain('runs-in-process.test.ts');
    const pdf = await jobRuns(app.url, names.pdfs, tree.jobs[2].jobId);
    expect(pdf.lineage).toMatchObject({ requestId, depth: 3, parent: { kind: 'job', queue: names.emails, jobId: tree.jobs[1].jobId, attempt: 1 } });
  });

  it('records a failed attempt and the retry that succeeded as two runs', async () => {
    const { jobId } = await (await fetch(`${app.url}/flaky?attempts=2&fail=1`)).json();
    const answer = await eventually(() => jobRuns(app.url, names.flaky, jobId), (a) => allFinished(a, 2));
    expect(answer.runs.map((run: any) => [run.attempt, run.outcome, run.retried, run.error?.message ?? null])).toEqual([
      [1, 'failed', true, 'ledger timeout 1'],
      [2, 'completed', null, null],
    ]);
    expect(answer.runs[0].error.stack[0]).toMatch(/^at /);
    expect(answer.runs[1].startedAt).toBeGreaterThanOrEqual(answer.runs[0].finishedAt);
  });

  it('records every failed attempt, the last one not retried', async () => {
    const { jobId } = await (await fetch(`${app.url}/flaky?attempts=2&fail=5`)).json();
    const answer = await eventually(() => jobRuns(app.url, names.flaky, jobId), (a) => allFinished(a, 2));
    expect(answer.runs.map((run: any) => [run.outcome, run.retried, run.error.message])).toEqual([
      ['failed', true, 'ledger timeout 1'],
      ['failed', false, 'ledger timeout 2'],
    ]);
  });

  it('records the runs of a flow parent and its child, both linked to the request', async () => {
    const response = await fetch(`${app.url}/flow`);
    const { jobId, childId } = await response.json();
    const child = await eventually(() => jobRuns(app.url, names.pdfs, childId), (a) => allFinished(a, 1));
    const parent = await eventually(() => jobRuns(app.url, names.pdfs, jobId), (a) => allFinished(a, 1));
    expect(child.lineage.requestId).toBe(response.headers.get('x-debug-id'));
    expect(parent.lineage.requestId).toBe(response.headers.get('x-debug-id'));
    expect(parent.runs[0].outcome).toBe('completed');
  });

  it('lists a flow started inside a job with each child\'s flow parent, both follow-ups of that job', async () => {
    const response = await fetch(`${app.url}/packing`);
    const requestId = response.headers.get('x-debug-id')!;
    const tree = await eventually(() => lineage(app.url, requestId), (a) => a.jobs.length === 3 && a.jobs.every((job: any) => job.lastOutcome === 'completed'));
    const [pack, ship, pick] = ['pack-order', 'ship-box', 'pick-item'].map((name) => tree.jobs.find((job: any) => job.name === name));
    const packKey = { prefix: 'bull', queue: names.packing, jobId: pack.jobId };
    expect(pack).toMatchObject({ depth: 1, parent: null, flowParent: null });
    expect(ship).toMatchObject({ depth: 2, parent: packKey, flowParent: null });
    expect(pick).toMatchObject({ depth: 2, parent: packKey, flowParent: { prefix: 'bull', queue: names.pdfs, jobId: ship.jobId } });
  });

  it('leaves jobs enqueued outside any tracked request unrecorded', async () => {
    const job = await queues.orders.add('place-order', { orderId: 8 });
    await eventually(() => job.getState(), (state) => state === 'completed');
    expect(await jobRuns(app.url, names.orders, job.id!)).toMatchObject({ lineage: null, runs: [], droppedRuns: 0 });
  });
});
