import * as bullmq from 'bullmq';
import { FlowProducer, Queue, Worker, type Job } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { instrumentBullMQ } from '../../server-lib/src/bullmq/instrument.js';
import { createJobStatusReader, type JobRef, type JobStatusReader } from '../../server-lib/src/bullmq/job-status.js';
import { runInRequestScope } from '../../server-lib/src/core/scope.js';
import { createSerializer } from '../../server-lib/src/core/serialize.js';
import { createRecordingRecorder } from '../support/recording-recorder.js';
import { freshQueueName, redisClient, redisConnection } from '../support/redis.js';
import { REFUSED_PORT } from '../support/redis-server.js';

const serialize = createSerializer();
let closables: Array<{ close(): Promise<unknown> }>;
let reader: JobStatusReader;
let queue: Queue;

function ref(job: Job, extra: Partial<JobRef> = {}): JobRef {
  return { queue: job.queueName, prefix: 'bull', jobId: job.id!, source: queue, ...extra };
}

function newWorker(processor: (job: Job) => Promise<unknown>, name = queue.name): Worker {
  const worker = new Worker(name, processor, { connection: redisConnection() });
  closables.unshift(worker);
  return worker;
}

function nextEvent(worker: Worker, event: 'completed' | 'failed' | 'active'): Promise<Job> {
  return new Promise((resolve) => worker.once(event, (job: Job) => resolve(job)));
}

beforeEach(() => {
  queue = new Queue(freshQueueName('status'), { connection: redisConnection() });
  closables = [queue];
  reader = createJobStatusReader({ serialize });
});

afterEach(async () => {
  await reader.close();
  for (const closable of closables) await closable.close();
});

describe('reader.read()', () => {
  it('reads a waiting job with how long it has waited so far', async () => {
    const job = await queue.add('wait', { n: 1 });
    const [status] = await reader.read([ref(job, { seq: 7 })]);
    expect(status).toMatchObject({
      seq: 7, queue: queue.name, jobId: job.id, state: 'waiting', attemptsMade: 0, attempts: 1,
      timestamp: job.timestamp, processedOn: null, finishedOn: null, runMs: null, failedReason: null, stacktrace: [],
    });
    expect(status!.waitMs).toBeGreaterThanOrEqual(0);
  });

  it('reads a completed job with its return value and timings', async () => {
    const worker = newWorker(async () => ({ sent: true, id: 42 }));
    const completed = nextEvent(worker, 'completed');
    const job = await queue.add('send', {});
    await completed;

    const [status] = await reader.read([ref(job)]);
    expect(status).toMatchObject({ state: 'completed', returnValue: { sent: true, id: 42 }, attemptsMade: 1 });
    expect(status!.processedOn).toBeGreaterThanOrEqual(job.timestamp);
    expect(status!.finishedOn).toBeGreaterThanOrEqual(status!.processedOn!);
    expect(status!.waitMs).toBe(status!.processedOn! - job.timestamp);
    expect(status!.runMs).toBe(status!.finishedOn! - status!.processedOn!);
  });

  it('reads a failed job with its reason, stack trace and attempts', async () => {
    const worker = newWorker(async () => { throw new Error('smtp down'); });
    let failures = 0;
    const finalFailure = new Promise<void>((resolve) => worker.on('failed', () => { if (++failures === 2) resolve(); }));
    const job = await queue.add('send', {}, { attempts: 2 });
    await finalFailure;

    const [status] = await reader.read([ref(job)]);
    expect(status).toMatchObject({ state: 'failed', failedReason: 'smtp down', attemptsMade: 2, attempts: 2 });
    expect(status!.stacktrace.length).toBeGreaterThan(0);
    expect(status!.stacktrace[0]).toContain('smtp down');
  });

  it('reads a delayed job with its delay and no waiting time before it is due, and a prioritized job', async () => {
    const delayed = await queue.add('later', {}, { delay: 60_000 });
    const prioritized = await queue.add('urgent', {}, { priority: 5 });
    const [a, b] = await reader.read([ref(delayed), ref(prioritized)]);
    expect(a).toMatchObject({ state: 'delayed', delayMs: 60_000, waitMs: null, timestamp: delayed.timestamp });
    expect(b).toMatchObject({ state: 'prioritized' });
  });

  it('reads an active job with how long it has run so far, and its progress', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    const worker = newWorker(async (job) => {
      await job.updateProgress({ step: 2 });
      await held;
    });
    const progressed = new Promise<void>((resolve) => worker.once('progress', () => resolve()));
    const job = await queue.add('long', {});
    await progressed;

    const [status] = await reader.read([ref(job)]);
    release();
    expect(status).toMatchObject({ state: 'active', progress: { step: 2 }, finishedOn: null });
    expect(status!.runMs).toBeGreaterThanOrEqual(0);
  });

  it('reads a flow parent as waiting-children', async () => {
    const producer = new FlowProducer({ connection: redisConnection() });
    closables.push(producer);
    const tree = await producer.add({ name: 'parent', queueName: queue.name, children: [{ name: 'child', queueName: queue.name }] });
    const [parent, child] = await reader.read([ref(tree.job), ref(tree.children![0]!.job)]);
    expect(parent!.state).toBe('waiting-children');
    expect(child!.state).toBe('waiting');
  });

  it('reads a removed job as removed', async () => {
    const job = await queue.add('gone', {});
    await job.remove();
    const [status] = await reader.read([ref(job)]);
    expect(status).toMatchObject({ state: 'removed', jobId: job.id, timestamp: null });
  });

  it('tells a duplicate jobId add from the add that created the job', async () => {
    const first = await queue.add('once', {}, { jobId: 'order-7' });
    while (Date.now() === first.timestamp) await new Promise((resolve) => setImmediate(resolve));
    const second = await queue.add('once', {}, { jobId: 'order-7' });

    const [created, duplicate] = await reader.read([
      ref(first, { timestamp: first.timestamp }),
      ref(second, { timestamp: second.timestamp }),
    ]);
    expect(created).toMatchObject({ jobId: 'order-7', duplicate: false });
    expect(duplicate).toMatchObject({ jobId: 'order-7', duplicate: true, timestamp: first.timestamp });
  });

  it('finds the connection of a queue the instrumentation saw enqueue', async () => {
    const undo = instrumentBullMQ(bullmq);
    try {
      const job = await runInRequestScope(createRecordingRecorder(), () => queue.add('seen', {}));
      const [status] = await reader.read([{ queue: queue.name, prefix: 'bull', jobId: job.id! }]);
      expect(status!.state).toBe('waiting');
    } finally {
      undo();
    }
  });

  it('answers unavailable, with a reason, for a queue it knows no connection for', async () => {
    const [status] = await reader.read([{ queue: freshQueueName('nowhere'), prefix: 'bull', jobId: '1' }]);
    expect(status).toMatchObject({ state: 'unavailable', reason: expect.stringContaining('no Redis connection') });
  });

  it('answers unavailable within the timeout when Redis cannot be reached', async () => {
    const unreachable = createJobStatusReader({ serialize, connection: { host: '127.0.0.1', port: REFUSED_PORT }, timeoutMs: 300 });
    try {
      const statuses = await unreachable.read([
        { queue: freshQueueName('down'), prefix: 'bull', jobId: '1' },
        { queue: freshQueueName('down'), prefix: 'bull', jobId: '2' },
      ]);
      expect(statuses.map((status) => status.state)).toEqual(['unavailable', 'unavailable']);
      expect(statuses[0]!.reason).toBeTruthy();
    } finally {
      await unreachable.close();
    }
  });

  it('answers unavailable after timeoutMs when the client would wait for Redis forever', async () => {
    const { Redis } = await import('ioredis');
    const patient = new Redis({ host: '127.0.0.1', port: REFUSED_PORT, maxRetriesPerRequest: null, lazyConnect: true });
    patient.on('error', () => {});
    const waiting = createJobStatusReader({ serialize, connection: patient, timeoutMs: 200 });
    try {
      const [status] = await waiting.read([{ queue: freshQueueName('down'), prefix: 'bull', jobId: '1' }]);
      expect(status).toMatchObject({ state: 'unavailable', reason: 'Redis did not answer within 200 ms' });
    } finally {
      await waiting.close();
      patient.disconnect();
    }
  });

  it('reads 100 jobs in one round trip through the connection option', async () => {
    const client = redisClient();
    const viaOption = createJobStatusReader({ serialize, connection: client });
    try {
      const jobs = await queue.addBulk(Array.from({ length: 100 }, (_, n) => ({ name: 'bulk', data: { n }, opts: n % 2 ? { delay: 60_000 } : {} })));
      await client.ping();
      // Every round trip starts with a write to the socket: ioredis writes a whole pipeline at once.
      const socket = (client as unknown as { stream: { write: (...args: unknown[]) => boolean } }).stream;
      const write = socket.write;
      let writes = 0;
      socket.write = function (...args: unknown[]) {
        writes += 1;
        return write.apply(this, args);
      };
      const statuses = await viaOption.read(jobs.map((job) => ({ queue: queue.name, prefix: 'bull', jobId: job.id!, seq: Number(job.id) })));
      socket.write = write;

      expect(writes).toBe(1);
      expect(statuses).toHaveLength(100);
      expect(statuses.map((status) => status.jobId)).toEqual(jobs.map((job) => job.id));
      expect(statuses.map((status) => status.state)).toEqual(jobs.map((_, n) => (n % 2 ? 'delayed' : 'waiting')));
    } finally {
      await viaOption.close();
      await client.quit();
    }
  });
});
