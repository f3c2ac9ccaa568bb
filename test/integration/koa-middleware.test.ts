import { FlowProducer, Queue, Worker } from 'bullmq';
import type Koa from 'koa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RequestRecord } from 'taskscope';
import { getJson, startTestApp, type TestApp } from '../support/koa-app.js';
import { freshQueueName, redisConnection } from '../support/redis.js';

let queue: Queue;
let app: TestApp | undefined;

beforeEach(() => {
  queue = new Queue(freshQueueName('emails'), { connection: redisConnection() });
});

afterEach(async () => {
  await app?.close();
  app = undefined;
  await queue.obliterate({ force: true });
  await queue.close();
});

async function start(...handlers: Koa.Middleware[]): Promise<TestApp> {
  app = await startTestApp({}, ...handlers);
  return app;
}

async function recordOf(response: Response): Promise<RequestRecord> {
  const id = response.headers.get('x-debug-id');
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  const { status, body } = await getJson<RequestRecord>(`${app!.url}/__taskscope/requests/${id}`);
  expect(status).toBe(200);
  return body;
}

describe('taskscope() response headers', () => {
  it('sends X-Debug-Id, X-Debug-Url and a Server-Timing with the tasks and taskscope entries', async () => {
    await start(async (ctx) => {
      await queue.add('send-email', { to: 'a@b.c' });
      ctx.body = 'ok';
    });
    const response = await fetch(`${app!.url}/orders`);
    const id = response.headers.get('x-debug-id')!;
    expect(response.headers.get('x-debug-url')).toBe(`/__taskscope/requests/${id}`);
    expect(response.headers.get('server-timing')).toMatch(
      new RegExp(`^tasks;dur=[\\d.]+;desc="1 task", taskscope;desc="${id}"$`),
    );
  });

  it('appends to a Server-Timing the app set itself', async () => {
    await start(async (ctx) => {
      ctx.set('Server-Timing', 'db;dur=5.5');
      ctx.body = 'ok';
    });
    const response = await fetch(`${app!.url}/`);
    expect(response.headers.get('server-timing')).toMatch(/^db;dur=5\.5, tasks;dur=0;desc="0 tasks", taskscope;desc="[0-9a-f-]{36}"$/);
  });

  it('gives every request an unguessable, different id', async () => {
    await start(async (ctx) => { ctx.body = 'ok'; });
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) ids.add((await fetch(`${app!.url}/`)).headers.get('x-debug-id')!);
    expect(ids.size).toBe(20);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('keeps its headers on error responses, and the record has the error status', async () => {
    await start(async (ctx) => {
      await queue.add('audit', { step: 1 });
      ctx.throw(422, 'bad order');
    });
    const response = await fetch(`${app!.url}/orders`, { method: 'POST' });
    expect(response.status).toBe(422);
    expect(await response.text()).toBe('bad order');
    const record = await recordOf(response);
    expect(record.request).toMatchObject({ method: 'POST', url: '/orders', status: 422 });
    expect(record.tasks.map((t) => t.name)).toEqual(['audit']);
  });
});

describe('GET /__taskscope/requests/:id', () => {
  it('returns every job the request enqueued, in order, readable the moment the response arrives', async () => {
    await start(async (ctx) => {
      await queue.add('send-email', { to: 'a@b.c', password: 'hunter2' }, { attempts: 3 });
      await queue.add('reminder', { orderId: 7 }, { delay: 30_000 });
      await queue.addBulk([{ name: 'receipt', data: { line: 1 } }, { name: 'receipt', data: { line: 2 } }]);
      ctx.status = 201;
      ctx.body = { ok: true };
    });
    const record = await recordOf(await fetch(`${app!.url}/orders?x=1`, { method: 'POST' }));

    expect(record.version).toBe(1);
    expect(record.request).toMatchObject({ method: 'POST', url: '/orders?x=1', status: 201 });
    expect(record.request.durationMs).toBeGreaterThan(0);
    expect(record.tasks.map((t) => [t.seq, t.name, t.via])).toEqual([
      [1, 'send-email', 'add'], [2, 'reminder', 'add'], [3, 'receipt', 'addBulk'], [4, 'receipt', 'addBulk'],
    ]);
    const [email, reminder] = record.tasks;
    expect(email).toMatchObject({
      queue: queue.name, prefix: 'bull', data: { to: 'a@b.c', password: { $taskscope: 'redacted' } },
      opts: { attempts: 3 }, delayMs: 0, scheduledFor: null, late: false, error: null,
    });
    expect(email!.jobId).toEqual(expect.any(String));
    expect(email!.enqueueMs).toBeGreaterThan(0);
    expect(email!.origin).toMatchObject({ file: expect.stringMatching(/integration\/koa-middleware\.test\.ts$/), line: expect.any(Number) });
    expect(email!.stack.length).toBeGreaterThan(0);
    expect(reminder).toMatchObject({ delayMs: 30_000, scheduledFor: reminder!.enqueuedAt + 30_000 });
    expect(record.summary).toMatchObject({
      total: 4, immediate: 3, delayed: 1, failed: 0, late: 0,
      byQueue: { [queue.name]: { count: 4 } }, byName: { receipt: { count: 2 } },
    });
    expect(record.nPlusOne).toEqual([]);
  });

  it('records flows node by node and job schedulers with their first run\'s delay', async () => {
    const flows = new FlowProducer({ connection: redisConnection() });
    try {
      await start(async (ctx) => {
        await flows.add({ name: 'ship-order', queueName: queue.name, data: { orderId: 1 }, children: [
          { name: 'pick', queueName: `${queue.name}-warehouse`, data: {} },
          { name: 'invoice', queueName: queue.name, data: {} },
        ] });
        await queue.upsertJobScheduler('new-year', { pattern: '0 0 1 1 *' }, { name: 'greetings', data: { year: true } });
        ctx.body = 'ok';
      });
      const record = await recordOf(await fetch(`${app!.url}/ship`));
      expect(record.tasks.map((t) => [t.name, t.via, t.queue])).toEqual([
        ['ship-order', 'flow', queue.name], ['pick', 'flow', `${queue.name}-warehouse`], ['invoice', 'flow', queue.name],
        ['greetings', 'scheduler', queue.name],
      ]);
      const [parent, pick] = record.tasks;
      expect(pick!.parent).toEqual({ queue: queue.name, jobId: parent!.jobId });
      expect(record.tasks[3]).toMatchObject({ schedulerId: 'new-year', delayMs: expect.any(Number) });
      expect(record.tasks[3]!.delayMs).toBeGreaterThan(0);
      expect(record.summary).toMatchObject({ total: 4, immediate: 3, delayed: 1 });
      expect(record.nPlusOne).toEqual([]);
    } finally {
      const warehouse = new Queue(`${queue.name}-warehouse`, { connection: redisConnection() });
      await warehouse.obliterate({ force: true });
      await warehouse.close();
      await flows.close();
    }
  });

  it('flags the same job enqueued in a loop as N+1, and suggests addBulk', async () => {
    await start(async (ctx) => {
      for (let line = 1; line <= 5; line++) await queue.add('send-receipt', { line });
      ctx.body = 'ok';
    });
    const record = await recordOf(await fetch(`${app!.url}/checkout`));
    expect(record.nPlusOne).toHaveLength(1);
    expect(record.nPlusOne[0]).toMatchObject({ queue: queue.name, name: 'send-receipt', count: 5, seqs: [1, 2, 3, 4, 5] });
    expect(record.nPlusOne[0]!.origin).toEqual(record.tasks[0]!.origin);
    expect(record.nPlusOne[0]!.suggestion).toContain('addBulk');
  });

  it('records a failing add with its error, while the app sees BullMQ\'s own error', async () => {
    let seen: unknown;
    await start(async (ctx) => {
      try {
        await queue.add('fraud-check', {}, { priority: 1.5 });
      } catch (error) {
        seen = error;
        ctx.status = 400;
        ctx.body = { error: (error as Error).message };
      }
    });
    const response = await fetch(`${app!.url}/orders`, { method: 'POST' });
    expect(response.status).toBe(400);
    expect(seen).toBeInstanceOf(Error);
    expect((seen as Error).message).toBe('Priority should not be float');
    const record = await recordOf(response);
    expect(record.tasks[0]).toMatchObject({ name: 'fraud-check', jobId: null, error: 'Priority should not be float' });
    expect(record.summary.failed).toBe(1);
  });

  it('adds jobs enqueued after the response, in the request\'s async context, as late', async () => {
    let enqueued!: Promise<unknown>;
    await start(async (ctx) => {
      enqueued = new Promise((resolve) => setTimeout(() => resolve(queue.add('fire-and-forget', { n: 1 })), 50));
      ctx.body = 'ok';
    });
    const response = await fetch(`${app!.url}/ping`);
    const first = await recordOf(response);
    expect(first.tasks).toHaveLength(0);
    await enqueued;
    await new Promise((resolve) => setTimeout(resolve, 20));
    const later = await recordOf(response);
    expect(later.tasks).toHaveLength(1);
    expect(later.tasks[0]).toMatchObject({ name: 'fire-and-forget', late: true, jobId: expect.any(String) });
    expect(later.summary.late).toBe(1);
  });

  it('stops taking late jobs once limits.lateGraceMs has passed', async () => {
    let enqueued!: Promise<unknown>;
    app = await startTestApp({ limits: { lateGraceMs: 30 } }, async (ctx) => {
      enqueued = new Promise((resolve) => setTimeout(() => resolve(queue.add('too-late', {})), 150));
      ctx.body = 'ok';
    });
    const response = await fetch(`${app.url}/ping`);
    await enqueued;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await recordOf(response)).tasks).toEqual([]);
  });

  it('does not record jobs enqueued outside any request', async () => {
    await start(async (ctx) => { ctx.body = 'ok'; });
    await queue.add('startup-job', {});
    const { body } = await getJson(`${app!.url}/__taskscope/requests`);
    expect(body.requests).toEqual([]);
  });

  it('keeps 200 concurrent requests apart', async () => {
    await start(async (ctx) => {
      const n = Number(ctx.query.n);
      for (let i = 0; i < 3; i++) {
        await queue.add(`job-${n}`, { n, i });
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
      }
      ctx.body = { n };
    });
    const responses = await Promise.all(Array.from({ length: 200 }, (_, n) => fetch(`${app!.url}/r?n=${n}`)));
    const records = await Promise.all(responses.map(recordOf));
    records.forEach((record, n) => {
      expect(record.request.url).toBe(`/r?n=${n}`);
      expect(record.tasks.map((t) => [t.name, (t.data as { n: number }).n])).toEqual([[`job-${n}`, n], [`job-${n}`, n], [`job-${n}`, n]]);
    });
  });
});

describe('GET /__taskscope/requests/:id/status', () => {
  it('reports each job\'s live state: completed with its return value, failed with its reason, delayed', async () => {
    const worker = new Worker(queue.name, async (job) => {
      if (job.name === 'broken') throw new Error('SMTP refused');
      return { sent: true };
    }, { connection: redisConnection() });
    try {
      await start(async (ctx) => {
        await queue.add('ok', {});
        await queue.add('broken', {});
        await queue.add('later', {}, { delay: 60_000 });
        ctx.body = 'ok';
      });
      const response = await fetch(`${app!.url}/`);
      const statusUrl = `${app!.url}${response.headers.get('x-debug-url')}/status`;
      let jobs: Array<Record<string, unknown>> = [];
      for (let i = 0; i < 100; i++) {
        jobs = (await getJson(statusUrl)).body.jobs;
        if (jobs[0]?.state === 'completed' && jobs[1]?.state === 'failed') break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(jobs).toHaveLength(3);
      expect(jobs[0]).toMatchObject({ seq: 1, queue: queue.name, state: 'completed', returnValue: { sent: true }, attemptsMade: 1 });
      expect(jobs[1]).toMatchObject({ seq: 2, state: 'failed', failedReason: 'SMTP refused' });
      expect(jobs[2]).toMatchObject({ seq: 3, state: 'delayed' });
    } finally {
      await worker.close();
    }
  });
});

describe('taskscope() in production', () => {
  it('is off unless enabled: no headers, no debug routes', async () => {
    const previous = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      await start(async (ctx) => {
        if (ctx.path === '/') ctx.body = 'ok';
      });
      const response = await fetch(`${app!.url}/`);
      expect(response.headers.get('x-debug-id')).toBeNull();
      expect(response.headers.get('server-timing')).toBeNull();
      expect((await fetch(`${app!.url}/__taskscope/requests`)).status).toBe(404);
    } finally {
      process.env.NODE_ENV = previous;
    }
  });

  it('can be enabled explicitly', async () => {
    const previous = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      app = await startTestApp({ enabled: true }, async (ctx) => { ctx.body = 'ok'; });
      expect((await fetch(`${app.url}/`)).headers.get('x-debug-id')).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      process.env.NODE_ENV = previous;
    }
  });
});
