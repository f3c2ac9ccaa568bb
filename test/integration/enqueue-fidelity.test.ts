import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTaskscope, type Taskscope } from 'taskscope';
import type { RequestRecord } from 'taskscope/protocol';
import { freshQueueName, redisConnection } from '../support/redis.js';

// What Taskscope promises about every tracked enqueue: the app's data and options are read no
// more often than BullMQ reads them, the app gets BullMQ's own promise on the same tick, and the
// record shows exactly what a worker receives.

let core: Taskscope;
let queue: Queue;

beforeAll(() => {
  core = createTaskscope({ enabled: true });
  queue = new Queue(freshQueueName('fidelity'), { connection: redisConnection() });
});

afterAll(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
  await core.close();
});

/** Runs `fn` inside a tracked request and returns what it returned and the record as the debug API serves it. */
async function tracked<T>(fn: () => Promise<T>): Promise<{ value: T; record: RequestRecord }> {
  const request = core.track('POST', '/orders')!;
  const value = await request.run(fn);
  await request.finish(201);
  const answer = await core.api!.handle({
    method: 'GET', path: `/__taskscope/requests/${request.id}`, query: new URLSearchParams(),
    headers: { host: 'localhost' }, remoteAddress: '127.0.0.1',
  });
  return { value, record: JSON.parse(answer.body) as RequestRecord };
}

/** An object whose every property read is counted, and whose `flaky` getter throws on its second read. */
function countedData(): { data: Record<string, unknown>; reads: Record<string, number> } {
  const reads: Record<string, number> = { to: 0, flaky: 0 };
  const data = {
    get to() { reads.to! += 1; return 'a@b.c'; },
    get flaky() {
      reads.flaky! += 1;
      if (reads.flaky! > 1) throw new Error('read twice');
      return 'once';
    },
  };
  return { data, reads };
}

describe('queue.add() inside a tracked request', () => {
  it('reads the job data once, as BullMQ does: a getter that throws on its second read still works', async () => {
    const bare = countedData();
    await queue.add('send', bare.data);
    const inRequest = countedData();
    const { value: job, record } = await tracked(() => queue.add('send', inRequest.data));

    expect(inRequest.reads).toEqual(bare.reads);
    expect(inRequest.reads).toEqual({ to: 1, flaky: 1 });
    expect(record.tasks[0]!.data).toEqual({ to: 'a@b.c', flaky: 'once' });
    expect((await queue.getJob(job.id!))!.data).toEqual(record.tasks[0]!.data);
  });

  it('calls a toJSON with side effects once, and records what BullMQ stored', async () => {
    let calls = 0;
    const data = { toJSON: () => ({ call: (calls += 1) }) };
    const { value: job, record } = await tracked(() => queue.add('send', data));

    expect(calls).toBe(1);
    expect(record.tasks[0]!.data).toEqual({ call: 1 });
    expect((await queue.getJob(job.id!))!.data).toEqual({ call: 1 });
  });

  it('reads each option no more often than BullMQ reads it without Taskscope', async () => {
    const countedOptions = () => {
      const reads: Record<string, number> = {};
      const opts: Record<string, unknown> = {};
      for (const [key, value] of Object.entries({ attempts: 3, delay: 1000, priority: 2, removeOnComplete: true })) {
        Object.defineProperty(opts, key, { enumerable: true, get: () => { reads[key] = (reads[key] ?? 0) + 1; return value; } });
      }
      return { opts, reads };
    };
    const bare = countedOptions();
    await queue.add('send', {}, bare.opts);
    const inRequest = countedOptions();
    const { record } = await tracked(() => queue.add('send', {}, inRequest.opts));

    expect(inRequest.reads).toEqual(bare.reads);
    expect(record.tasks[0]!.opts).toMatchObject({ attempts: 3, delay: 1000, priority: 2, removeOnComplete: true });
    expect(record.tasks[0]).toMatchObject({ delayMs: 1000 });
  });

  it('hands the app BullMQ\'s own promise: it resumes on the same tick as without Taskscope', async () => {
    // Ticks between BullMQ's 'waiting' event (just before its add settles) and the app's await resuming.
    const ticksUntilResumed = async (run: (fn: () => Promise<unknown>) => Promise<unknown>): Promise<number> => {
      let ticks = 0;
      let counting = true;
      const count = (): void => {
        if (!counting) return;
        ticks += 1;
        void Promise.resolve().then(count);
      };
      queue.once('waiting', () => void Promise.resolve().then(count));
      await run(async () => {
        const promise = queue.add('send', {});
        expect(promise).toBeInstanceOf(Promise);
        await promise;
        counting = false;
      });
      return ticks;
    };
    const bare = await ticksUntilResumed((fn) => fn());
    const inRequest = await ticksUntilResumed(async (fn) => (await tracked(fn)).value);
    expect(inRequest).toBe(bare);
  });

  it('records data as the worker receives it: Dates as ISO strings, Maps as {}, class instances as their fields', async () => {
    class Money {
      constructor(readonly cents: number, readonly currency: string) {}
      get display(): string { return `${this.cents / 100} ${this.currency}`; }
    }
    const data = { at: new Date('2026-11-29T10:00:00Z'), tags: new Map([['a', 1]]), price: new Money(1250, 'EUR'), missing: undefined };
    let received: unknown;
    const prices = new Queue(freshQueueName('prices'), { connection: redisConnection() });
    const worker = new Worker(prices.name, async (job) => { received = job.data; }, { connection: redisConnection() });
    try {
      const { record } = await tracked(() => prices.add('price', data));
      await new Promise<void>((resolve) => worker.once('completed', () => resolve()));
      expect(record.tasks[0]!.data).toEqual({ at: '2026-11-29T10:00:00.000Z', tags: {}, price: { cents: 1250, currency: 'EUR' } });
      expect(received).toEqual(record.tasks[0]!.data);
    } finally {
      await worker.close();
      await prices.obliterate({ force: true });
      await prices.close();
    }
  });

  it('fails a BigInt exactly as BullMQ does without Taskscope, and records the failed add', async () => {
    const bare = await queue.add('big', { n: 1n }).catch((error: unknown) => error as Error);
    const { value: failure, record } = await tracked(() => queue.add('big', { n: 1n }).catch((error: unknown) => error as Error));

    expect(failure).toBeInstanceOf(TypeError);
    expect((failure as Error).message).toBe((bare as Error).message);
    expect(record.summary).toMatchObject({ total: 1, failed: 1, jobs: 0 });
    expect(record.tasks[0]).toMatchObject({ jobId: null, error: (bare as Error).message });
  });
});
