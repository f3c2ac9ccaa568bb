import * as bullmq from 'bullmq';
import { FlowProducer, Job, Queue, Worker } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { instrumentBullMQ } from '../../server-lib/src/bullmq/instrument.js';
import { runInRequestScope, type EnqueueRecorder, type PendingEnqueue } from '../../server-lib/src/core/scope.js';
import { createRecordingRecorder, type RecordingRecorder } from '../support/recording-recorder.js';
import { freshQueueName, redisConnection } from '../support/redis.js';

const originals = {
  add: Queue.prototype.add,
  addBulk: Queue.prototype.addBulk,
  upsertJobScheduler: Queue.prototype.upsertJobScheduler,
  flowAdd: FlowProducer.prototype.add,
  flowAddBulk: FlowProducer.prototype.addBulk,
};

let undo: () => void;
let recorder: RecordingRecorder;
let closables: Array<{ close(): Promise<unknown> }>;

function newQueue(label = 'q', opts: Partial<bullmq.QueueOptions> = {}): Queue {
  const queue = new Queue(freshQueueName(label), { connection: redisConnection(), ...opts });
  closables.push(queue);
  return queue;
}

function newFlowProducer(): FlowProducer {
  const producer = new FlowProducer({ connection: redisConnection() });
  closables.push(producer);
  return producer;
}

function inRequest<T>(fn: () => T, using: EnqueueRecorder = recorder): T {
  return runInRequestScope(using, fn);
}

beforeEach(() => {
  closables = [];
  recorder = createRecordingRecorder();
  undo = instrumentBullMQ(bullmq);
});

afterEach(async () => {
  undo();
  // Workers first, so none is left blocking on a queue that is gone.
  for (const closable of closables.reverse()) await closable.close();
});

describe('queue.add()', () => {
  it('records the job once, with its queue, prefix, name, data, effective opts and the returned id', async () => {
    const queue = newQueue('emails', { prefix: 'app', defaultJobOptions: { attempts: 3 } });
    const data = { to: 'a@b.c' };

    const job = await inRequest(() => queue.add('send-email', data, { delay: 5000 }));

    expect(recorder.calls).toHaveLength(1);
    const [call] = recorder.calls;
    expect(call!.specs).toEqual([expect.objectContaining({ via: 'add', queue: queue.name, prefix: 'app', name: 'send-email', source: queue })]);
    // The data as BullMQ stored it, and BullMQ's own options, with the queue's defaults applied.
    expect(call!.built).toEqual([expect.objectContaining({ queue: queue.name, name: 'send-email', json: '{"to":"a@b.c"}' })]);
    expect(call!.built[0]!.opts).toMatchObject({ attempts: 3, delay: 5000 });
    expect(call!.settleCount).toBe(1);
    expect(call!.outcome).toEqual({ jobs: [{ jobId: job.id, timestamp: job.timestamp }] });
  });

  it('records nothing outside a request scope', async () => {
    const queue = newQueue();
    await queue.add('outside', {});
    await inRequest(() => Promise.resolve());
    expect(recorder.calls).toHaveLength(0);
  });

  it('gives BullMQ the same this and arguments, and the app the same kind of result, as unpatched', async () => {
    const seen: unknown[][] = [];
    class SpyQueue extends Queue {
      override async addJob(...args: Parameters<Queue['addJob']>): ReturnType<Queue['addJob']> {
        seen.push([this, ...args]);
        return super.addJob(...args);
      }
    }
    const queue = new SpyQueue(freshQueueName(), { connection: redisConnection() });
    closables.push(queue);
    const data = { n: 1 };
    const opts = { priority: 2 };

    const patched = await inRequest(() => queue.add('job', data, opts));
    undo();
    undo = () => {};
    expect(Queue.prototype.add).toBe(originals.add);
    const plain = await queue.add('job', data, opts);

    expect(seen[0]).toEqual([queue, 'job', data, opts]);
    expect(seen[0]![2]).toBe(data);
    expect(seen[0]![3]).toBe(opts);
    expect(patched).toBeInstanceOf(Job);
    expect(Object.keys(patched).sort()).toEqual(Object.keys(plain).sort());
    expect(patched.queueName).toBe(plain.queueName);
    expect({ name: patched.name, data: patched.data, opts: patched.opts }).toEqual({ name: plain.name, data: plain.data, opts: plain.opts });
    expect(Number(plain.id)).toBe(Number(patched.id) + 1);
  });

  it('passes BullMQ\'s rejection through unchanged and records it', async () => {
    const queue = newQueue();
    const failure = await inRequest(() => queue.add('bad', {}, { jobId: '0' })).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toBe("JobId cannot be '0' or start with '0:'");
    expect(recorder.calls[0]!.outcome).toEqual({ error: failure });
    expect((recorder.calls[0]!.outcome as { error: unknown }).error).toBe(failure);
  });

  it('passes the error of a closed connection through and records it', async () => {
    const queue = newQueue();
    await queue.close();
    const failure = await inRequest(() => queue.add('late', {})).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(Error);
    expect((recorder.calls[0]!.outcome as { error: unknown }).error).toBe(failure);
  });

  it('still enqueues when the recorder throws in begin, in built or in settle', async () => {
    const queue = newQueue();
    const throwsInBegin: EnqueueRecorder = { begin: () => { throw new Error('recorder broke'); } };
    const broken = (): PendingEnqueue => ({
      inside: true, entered: false, begin: () => broken(),
      built: () => { throw new Error('built broke'); },
      settle: () => { throw new Error('settle broke'); },
    });
    const throwsInSettle: EnqueueRecorder = { begin: broken };

    const first = await inRequest(() => queue.add('a', { n: 1 }), throwsInBegin);
    const second = await inRequest(() => queue.add('b', { n: 2 }), throwsInSettle);
    const failure = await inRequest(() => queue.add('c', {}, { jobId: '0' }), throwsInSettle).catch((error: unknown) => error);

    expect(await queue.getJob(first.id!)).toMatchObject({ name: 'a', data: { n: 1 } });
    expect(await queue.getJob(second.id!)).toMatchObject({ name: 'b', data: { n: 2 } });
    expect((failure as Error).message).toBe("JobId cannot be '0' or start with '0:'");
  });

  it('returns the existing job id for a duplicate jobId, recording each add once with the returned timestamp', async () => {
    const queue = newQueue();
    const first = await inRequest(() => queue.add('once', { n: 1 }, { jobId: 'order-1' }));
    const second = await inRequest(() => queue.add('once', { n: 2 }, { jobId: 'order-1' }));

    expect(second.id).toBe('order-1');
    expect(recorder.jobs()).toEqual([
      { jobId: 'order-1', timestamp: first.timestamp },
      { jobId: 'order-1', timestamp: second.timestamp },
    ]);
    expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
  });
});

describe('queue.addBulk()', () => {
  it('records every job once, in one batch, with the ids BullMQ returned', async () => {
    const queue = newQueue();
    const jobs = await inRequest(() => queue.addBulk([
      { name: 'a', data: { n: 1 } },
      { name: 'b', data: { n: 2 }, opts: { delay: 1000 } },
      { name: 'c', data: { n: 3 } },
    ]));

    expect(recorder.calls).toHaveLength(1);
    expect(recorder.specs().map((spec) => [spec.via, spec.name, spec.data])).toEqual([
      ['addBulk', 'a', { n: 1 }], ['addBulk', 'b', { n: 2 }], ['addBulk', 'c', { n: 3 }],
    ]);
    expect(recorder.jobs()).toEqual(jobs.map((job) => ({ jobId: job.id, timestamp: job.timestamp })));
  });

  it('records an addBulk override that calls this.add only once per job', async () => {
    class LoopingQueue extends Queue {
      override async addBulk(jobs: Parameters<Queue['addBulk']>[0]): ReturnType<Queue['addBulk']> {
        const added = [];
        for (const job of jobs) added.push(await this.add(job.name, job.data, job.opts));
        return added;
      }
    }
    // The override lives on the subclass, so only `add` (called from it) is patched here;
    // patch the subclass's own addBulk the way an app-level tracer would see it.
    const queue = new LoopingQueue(freshQueueName(), { connection: redisConnection() });
    closables.push(queue);
    const undoSubclass = instrumentBullMQ({ Queue: LoopingQueue, FlowProducer });
    try {
      await inRequest(() => queue.addBulk([{ name: 'a', data: {} }, { name: 'b', data: {} }]));
    } finally {
      undoSubclass();
    }

    expect(recorder.specs().map((spec) => [spec.via, spec.name])).toEqual([['addBulk', 'a'], ['addBulk', 'b']]);
  });
});

describe('queue.upsertJobScheduler()', () => {
  it('records the scheduler\'s first job with the scheduler id', async () => {
    const queue = newQueue();
    const job = await inRequest(() => queue.upsertJobScheduler('hourly-report', { every: 3_600_000 }, { name: 'report', data: { kind: 'sales' } }));

    expect(recorder.calls).toHaveLength(1);
    expect(recorder.specs()).toEqual([expect.objectContaining({
      via: 'scheduler', name: 'report', data: { kind: 'sales' }, schedulerId: 'hourly-report',
      opts: expect.objectContaining({ repeat: { every: 3_600_000 } }),
    })]);
    expect(recorder.jobs()).toEqual([{ jobId: job!.id }]);
  });

  it('records nothing for the iterations a Worker schedules, even when started inside the request', async () => {
    const queue = newQueue();
    let processed = 0;
    let done!: () => void;
    const threeIterations = new Promise<void>((resolve) => { done = resolve; });

    await inRequest(async () => {
      await queue.upsertJobScheduler('tick', { every: 20 }, { name: 'tick' });
      const worker = new Worker(queue.name, async () => {
        processed += 1;
        if (processed === 3) done();
      }, { connection: redisConnection() });
      closables.push(worker);
    });
    await threeIterations;

    expect(recorder.calls).toHaveLength(1);
    expect(recorder.specs()[0]).toMatchObject({ via: 'scheduler', schedulerId: 'tick' });
  });
});

describe('flowProducer.add()', () => {
  it('records each node of a two-queue tree once, children carrying their parent', async () => {
    const producer = newFlowProducer();
    const parents = freshQueueName('orders');
    const children = freshQueueName('emails');

    const tree = await inRequest(() => producer.add({
      name: 'ship', queueName: parents, data: { order: 1 },
      children: [
        { name: 'receipt', queueName: children, data: { n: 1 } },
        { name: 'invoice', queueName: children, data: { n: 2 } },
      ],
    }));
    closables.push(new Queue(parents, { connection: redisConnection() }), new Queue(children, { connection: redisConnection() }));

    expect(recorder.calls).toHaveLength(1);
    expect(recorder.specs().map((spec) => [spec.via, spec.queue, spec.name])).toEqual([
      ['flow', parents, 'ship'],
      ['flow', children, 'receipt'],
      ['flow', children, 'invoice'],
    ]);
    const parentId = tree.job.id;
    // Children carry their parent in the options BullMQ built them with.
    const built = recorder.built();
    expect(built.map((job) => [job.queue, job.name, job.json])).toEqual([
      [parents, 'ship', '{"order":1}'], [children, 'receipt', '{"n":1}'], [children, 'invoice', '{"n":2}'],
    ]);
    expect(built.map((job) => (job.opts as { parent?: unknown }).parent)).toEqual([
      undefined, { id: parentId, queue: `bull:${parents}` }, { id: parentId, queue: `bull:${parents}` },
    ]);
    expect(recorder.jobs()).toEqual([
      { jobId: parentId, timestamp: tree.job.timestamp },
      { jobId: tree.children![0]!.job.id, timestamp: tree.children![0]!.job.timestamp, parentJobId: parentId },
      { jobId: tree.children![1]!.job.id, timestamp: tree.children![1]!.job.timestamp, parentJobId: parentId },
    ]);
  });
});

describe('flowProducer.addBulk()', () => {
  it('records the nodes of every flow once, in one batch', async () => {
    const producer = newFlowProducer();
    const queueName = freshQueueName('flows');
    const trees = await inRequest(() => producer.addBulk([
      { name: 'p1', queueName, children: [{ name: 'c1', queueName }] },
      { name: 'p2', queueName },
    ]));
    closables.push(new Queue(queueName, { connection: redisConnection() }));

    expect(recorder.calls).toHaveLength(1);
    expect(recorder.specs().map((spec) => spec.name)).toEqual(['p1', 'c1', 'p2']);
    expect(recorder.jobs().map((job) => job.jobId)).toEqual([trees[0]!.job.id, trees[0]!.children![0]!.job.id, trees[1]!.job.id]);
  });
});

describe('instrumentBullMQ()', () => {
  it('patches once however often it is called, and restores the originals when every caller has undone', async () => {
    const queue = newQueue();
    const undoAgain = instrumentBullMQ(bullmq);
    await inRequest(() => queue.add('once', {}));
    expect(recorder.calls).toHaveLength(1);

    undoAgain();
    undoAgain();
    await inRequest(() => queue.add('still-patched', {}));
    expect(recorder.calls).toHaveLength(2);

    undo();
    expect(Queue.prototype.add).toBe(originals.add);
    expect(Queue.prototype.addBulk).toBe(originals.addBulk);
    expect(Queue.prototype.upsertJobScheduler).toBe(originals.upsertJobScheduler);
    expect(FlowProducer.prototype.add).toBe(originals.flowAdd);
    expect(FlowProducer.prototype.addBulk).toBe(originals.flowAddBulk);
    await inRequest(() => queue.add('unpatched', {}));
    expect(recorder.calls).toHaveLength(2);
  });

  it('keeps the patched methods\' names and arity', () => {
    expect(Queue.prototype.add).not.toBe(originals.add);
    expect(Queue.prototype.add.name).toBe(originals.add.name);
    expect(Queue.prototype.add.length).toBe(originals.add.length);
  });
});
