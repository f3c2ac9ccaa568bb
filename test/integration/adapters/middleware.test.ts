/**
 * The guarantees every adapter gives, written once and run against each framework: the three
 * headers, the record, errors, late jobs, concurrency, the debug API's guards, production off.
 */
import { FlowProducer, Queue, Worker } from 'bullmq';
import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore, type RequestRecord, type TaskscopeOptions } from 'taskscope';
import { httpError, type AdapterApp, type AdapterUnderTest, type Route } from '../../support/adapter-app.js';
import { express4Adapter, express5Adapter } from '../../support/express-app.js';
import { fastifyAdapter } from '../../support/fastify-app.js';
import { getJson, koa } from '../../support/koa-app.js';
import { rawRequest } from '../../support/raw-http.js';
import { freshQueueName, redisConnection } from '../../support/redis.js';

const ADAPTERS: AdapterUnderTest[] = [koa, express5Adapter, express4Adapter, fastifyAdapter];

describe.each(ADAPTERS.map((adapter) => [adapter.name, adapter] as const))('taskscope/%s', (_name, adapter) => {
  let queue: Queue;
  const apps: AdapterApp[] = [];

  beforeEach(() => {
    queue = new Queue(freshQueueName('emails'), { connection: redisConnection() });
  });

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await queue.obliterate({ force: true });
    await queue.close();
  });

  async function start(route: Route, options: TaskscopeOptions | 'bare' = {}): Promise<AdapterApp> {
    const app = await adapter.start(options, route);
    apps.push(app);
    return app;
  }

  async function recordOf(app: AdapterApp, response: Response): Promise<RequestRecord> {
    const id = response.headers.get('x-debug-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const { status, body } = await getJson<RequestRecord>(`${app.url}/__taskscope/requests/${id}`);
    expect(status).toBe(200);
    return body;
  }

  /** Status, body and content type of one request to `route`, on a bare app of the same framework. */
  async function bareAnswer(route: Route, path: string, init?: RequestInit) {
    const bare = await start(route, 'bare');
    const response = await fetch(`${bare.url}${path}`, init);
    return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
  }

  describe('response headers', () => {
    it('sends X-Debug-Id, X-Debug-Url and a Server-Timing with the tasks and taskscope entries', async () => {
      const app = await start(async () => {
        await queue.add('send-email', { to: 'a@b.c' });
        return { body: 'ok' };
      });
      const response = await fetch(`${app.url}/orders`);
      const id = response.headers.get('x-debug-id')!;
      expect(response.headers.get('x-debug-url')).toBe(`/__taskscope/requests/${id}`);
      expect(response.headers.get('server-timing')).toMatch(
        new RegExp(`^tasks;dur=[\\d.]+;desc="1 task", taskscope;desc="${id}"$`),
      );
    });

    it('appends to a Server-Timing the app set itself', async () => {
      const app = await start(() => ({ headers: { 'Server-Timing': 'db;dur=5.5' }, body: 'ok' }));
      const response = await fetch(`${app.url}/`);
      expect(response.headers.get('server-timing')).toMatch(/^db;dur=5\.5, tasks;dur=0;desc="0 tasks", taskscope;desc="[0-9a-f-]{36}"$/);
    });

    it('gives every request an unguessable, different id', async () => {
      const app = await start(() => ({ body: 'ok' }));
      const ids = new Set<string>();
      for (let i = 0; i < 20; i++) ids.add((await fetch(`${app.url}/`)).headers.get('x-debug-id')!);
      expect(ids.size).toBe(20);
      for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    });

    it('keeps its headers on the framework\'s error response, which is the bare app\'s, and the record has the error status', async () => {
      const route: Route = async () => {
        await queue.add('audit', { step: 1 });
        throw httpError(422, 'bad order');
      };
      const app = await start(route);
      const response = await fetch(`${app.url}/orders`, { method: 'POST' });
      expect(response.status).toBe(422);
      expect({ status: response.status, type: response.headers.get('content-type'), body: await response.text() })
        .toEqual(await bareAnswer(route, '/orders', { method: 'POST' }));
      const record = await recordOf(app, response);
      expect(record.request).toMatchObject({ method: 'POST', url: '/orders', status: 422 });
      expect(record.tasks.map((t) => t.name)).toEqual(['audit']);
    });

    it('keeps its headers on a 404 for a path the app does not serve', async () => {
      const app = await start(() => undefined);
      const response = await fetch(`${app.url}/nowhere`);
      expect(response.status).toBe(404);
      expect((await recordOf(app, response)).request.status).toBe(404);
    });
  });

  // Issue 9, item 8: the record says what the client got, however the framework maps the error.
  describe('the recorded status is the one sent', () => {
    const cases: Array<[string, Route]> = [
      ['an error with status 302', () => { throw httpError(302, 'moved'); }],
      ['an error with status 499 (not a known HTTP status)', () => { throw httpError(499, 'client closed'); }],
      ['an ENOENT error', () => { throw Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' }); }],
      ['an error with no status', () => { throw new Error('boom'); }],
      ['a thrown non-Error with a status', () => { throw { status: 409 }; }], // eslint-disable-line no-throw-literal
      ['a 500 sent with an empty body', () => ({ status: 500 })],
      ['a 302 sent by the route', () => ({ status: 302, headers: { Location: '/elsewhere' }, body: '' })],
    ];

    it.each(cases)('%s', async (_name, route) => {
      const app = await start(route);
      const response = await fetch(`${app.url}/x`, { redirect: 'manual' });
      const body = await response.text();
      expect({ status: response.status, body }).toMatchObject(await bareAnswer(route, '/x', { redirect: 'manual' }).then(({ status, body: b }) => ({ status, body: b })));
      expect((await recordOf(app, response)).request.status).toBe(response.status);
    });
  });

  describe('GET /__taskscope/requests/:id', () => {
    it('returns every job the request enqueued, in order, readable the moment the response arrives', async () => {
      const app = await start(async () => {
        await queue.add('send-email', { to: 'a@b.c', password: 'hunter2' }, { attempts: 3 });
        await queue.add('reminder', { orderId: 7 }, { delay: 30_000 });
        await queue.addBulk([{ name: 'receipt', data: { line: 1 } }, { name: 'receipt', data: { line: 2 } }]);
        return { status: 201, body: { ok: true } };
      });
      const record = await recordOf(app, await fetch(`${app.url}/orders?x=1`, { method: 'POST' }));

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
      expect(email!.origin).toMatchObject({ file: expect.stringMatching(/integration\/adapters\/middleware\.test\.ts$/), line: expect.any(Number) });
      expect(email!.stack.length).toBeGreaterThan(0);
      expect(reminder).toMatchObject({ delayMs: 30_000, scheduledFor: reminder!.enqueuedAt + 30_000 });
      expect(record.summary).toMatchObject({
        total: 4, immediate: 3, delayed: 1, failed: 0, late: 0,
        byQueue: { [queue.name]: { count: 4 } }, byName: { receipt: { count: 2 } },
      });
      expect(record.nPlusOne).toEqual([]);
    });

    it('records the jobs of a request with a JSON body, enqueued after the framework parsed it', async () => {
      const app = await start(async ({ body }) => {
        await queue.add('send-email', body);
        return { status: 201, body: { ok: true } };
      });
      const response = await fetch(`${app.url}/orders`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: 'a@b.c' }),
      });
      expect(response.status).toBe(201);
      const record = await recordOf(app, response);
      expect(record.tasks.map((t) => [t.name, t.data])).toEqual([['send-email', { to: 'a@b.c' }]]);
    });

    it('records the jobs of a request whose body arrives after its head (a slow upload)', async () => {
      const app = await start(async ({ body }) => {
        await queue.add('send-email', body);
        return { status: 201, body: { ok: true } };
      });
      const json = JSON.stringify({ to: 'a@b.c' });
      const response = await new Promise<{ id: string | undefined; status: number | undefined }>((resolve, reject) => {
        const req = request(`${app.url}/orders`, {
          method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) },
        }, (res) => {
          res.resume();
          res.on('end', () => resolve({ id: res.headers['x-debug-id'] as string | undefined, status: res.statusCode }));
        });
        req.on('error', reject);
        req.flushHeaders();
        setTimeout(() => req.end(json), 50);
      });
      expect(response.status).toBe(201);
      const { body: record } = await getJson<RequestRecord>(`${app.url}/__taskscope/requests/${response.id}`);
      expect(record.tasks.map((t) => [t.name, t.data])).toEqual([['send-email', { to: 'a@b.c' }]]);
    });

    const delayedStore = (ms: number, saved: Set<string>) => {
      const memory = new MemoryStore();
      return {
        async save(record: RequestRecord, hint?: { bytes?: number }) {
          await new Promise((resolve) => setTimeout(resolve, ms));
          await memory.save(record, hint);
          saved.add(record.id);
        },
        get: (id: string) => memory.get(id),
        list: (limit?: number) => memory.list(limit),
      };
    };

    it('stores the record before the response is sent when the store answers within milliseconds', async () => {
      const saved = new Set<string>();
      const app = await start(async () => {
        await queue.add('send-email', {});
        return { body: 'ok' };
      }, { store: delayedStore(0, saved) });
      const response = await fetch(`${app.url}/orders`);
      expect(saved.has(response.headers.get('x-debug-id')!)).toBe(true);
      expect(await response.text()).toBe('ok');
    });

    it('does not hold the response for a slow store, and serves the record from this process meanwhile', async () => {
      const saved = new Set<string>();
      const app = await start(async () => {
        await queue.add('send-email', {});
        return { body: 'ok' };
      }, { store: delayedStore(300, saved) });
      const response = await fetch(`${app.url}/orders`);
      const id = response.headers.get('x-debug-id')!;
      expect(saved.has(id)).toBe(false);
      expect(await response.text()).toBe('ok');
      const { status, body } = await getJson(`${app.url}/__taskscope/requests/${id}`);
      expect(status).toBe(200);
      expect(body.tasks).toEqual([expect.objectContaining({ name: 'send-email' })]);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(saved.has(id)).toBe(true);
    });

    it('records flows node by node and job schedulers with their first run\'s delay', async () => {
      const flows = new FlowProducer({ connection: redisConnection() });
      try {
        const app = await start(async () => {
          await flows.add({ name: 'ship-order', queueName: queue.name, data: { orderId: 1 }, children: [
            { name: 'pick', queueName: `${queue.name}-warehouse`, data: {} },
            { name: 'invoice', queueName: queue.name, data: {} },
          ] });
          await queue.upsertJobScheduler('new-year', { pattern: '0 0 1 1 *' }, { name: 'greetings', data: { year: true } });
          return { body: 'ok' };
        });
        const record = await recordOf(app, await fetch(`${app.url}/ship`));
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
      const app = await start(async () => {
        for (let line = 1; line <= 5; line++) await queue.add('send-receipt', { line });
        return { body: 'ok' };
      });
      const record = await recordOf(app, await fetch(`${app.url}/checkout`));
      expect(record.nPlusOne).toHaveLength(1);
      expect(record.nPlusOne[0]).toMatchObject({ queue: queue.name, name: 'send-receipt', count: 5, seqs: [1, 2, 3, 4, 5] });
      expect(record.nPlusOne[0]!.origin).toEqual(record.tasks[0]!.origin);
      expect(record.nPlusOne[0]!.suggestion).toContain('addBulk');
    });

    it('records a failing add with its error, while the app sees BullMQ\'s own error', async () => {
      let seen: unknown;
      const app = await start(async () => {
        try {
          await queue.add('fraud-check', {}, { priority: 1.5 });
          return { body: 'ok' };
        } catch (error) {
          seen = error;
          return { status: 400, body: { error: (error as Error).message } };
        }
      });
      const response = await fetch(`${app.url}/orders`, { method: 'POST' });
      expect(response.status).toBe(400);
      expect(seen).toBeInstanceOf(Error);
      expect((seen as Error).message).toBe('Priority should not be float');
      const record = await recordOf(app, response);
      expect(record.tasks[0]).toMatchObject({ name: 'fraud-check', jobId: null, error: 'Priority should not be float' });
      expect(record.summary.failed).toBe(1);
    });

    it('adds jobs enqueued after the response, in the request\'s async context, as late', async () => {
      // The job is enqueued once the test has read the first record, however slow the machine.
      let firstRead!: () => void;
      const gate = new Promise<void>((resolve) => { firstRead = resolve; });
      let enqueued!: Promise<unknown>;
      const app = await start(() => {
        enqueued = gate.then(() => queue.add('fire-and-forget', { n: 1 }));
        return { body: 'ok' };
      });
      const response = await fetch(`${app.url}/ping`);
      const first = await recordOf(app, response);
      expect(first.tasks).toHaveLength(0);
      firstRead();
      await enqueued;
      await new Promise((resolve) => setTimeout(resolve, 20));
      const later = await recordOf(app, response);
      expect(later.tasks).toHaveLength(1);
      expect(later.tasks[0]).toMatchObject({ name: 'fire-and-forget', late: true, jobId: expect.any(String) });
      expect(later.summary.late).toBe(1);
    });

    it('stops taking late jobs once limits.lateGraceMs has passed', async () => {
      let enqueued!: Promise<unknown>;
      const app = await start(() => {
        enqueued = new Promise((resolve) => setTimeout(() => resolve(queue.add('too-late', {})), 150));
        return { body: 'ok' };
      }, { limits: { lateGraceMs: 30 } });
      const response = await fetch(`${app.url}/ping`);
      await enqueued;
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect((await recordOf(app, response)).tasks).toEqual([]);
    });

    it('does not record jobs enqueued outside any request', async () => {
      const app = await start(() => ({ body: 'ok' }));
      await queue.add('startup-job', {});
      const { body } = await getJson(`${app.url}/__taskscope/requests`);
      expect(body.requests).toEqual([]);
    });

    it('keeps 200 concurrent requests apart', async () => {
      const app = await start(async ({ query }) => {
        const n = Number(query.get('n'));
        for (let i = 0; i < 3; i++) {
          await queue.add(`job-${n}`, { n, i });
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
        }
        return { body: { n } };
      });
      const responses = await Promise.all(Array.from({ length: 200 }, (_, n) => fetch(`${app.url}/r?n=${n}`)));
      const records = await Promise.all(responses.map((response) => recordOf(app, response)));
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
        const app = await start(async () => {
          await queue.add('ok', {});
          await queue.add('broken', {});
          await queue.add('later', {}, { delay: 60_000 });
          return { body: 'ok' };
        });
        const response = await fetch(`${app.url}/`);
        const statusUrl = `${app.url}${response.headers.get('x-debug-url')}/status`;
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

  describe('the debug API', () => {
    it('is not itself recorded, and sends no tracking headers', async () => {
      const app = await start(() => ({ body: 'ok' }));
      await fetch(`${app.url}/a`);
      const response = await fetch(`${app.url}/__taskscope/requests`);
      expect(response.headers.get('x-debug-id')).toBeNull();
      const body = await response.json() as { requests: Array<{ url: string }> };
      expect(body.requests.map((r) => r.url)).toEqual(['/a']);
    });

    it('answers its index, and unknown endpoints and bad ids with JSON errors', async () => {
      const app = await start(() => ({ body: 'ok' }));
      expect(await getJson(`${app.url}/__taskscope`)).toMatchObject({ status: 200, body: { version: 1, name: 'taskscope' } });
      expect(await getJson(`${app.url}/__taskscope/nope`)).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
      expect(await getJson(`${app.url}/__taskscope/requests/not-a-uuid`)).toMatchObject({ status: 400, body: { error: { code: 'bad_id' } } });
    });

    it('is read-only: POST gets 405', async () => {
      const app = await start(() => ({ body: 'ok' }));
      const { status, body } = await getJson(`${app.url}/__taskscope/requests`, { method: 'POST' });
      expect(status).toBe(405);
      expect(body.error.code).toBe('method_not_allowed');
    });

    it('refuses a Host outside the allow-list (DNS rebinding) and another web origin', async () => {
      const app = await start(() => ({ body: 'ok' }));
      const rebound = await rawRequest(`${app.url}/__taskscope/requests`, { headers: { host: 'evil.example:80' } });
      expect(rebound.status).toBe(403);
      expect(JSON.parse(rebound.body).error.code).toBe('forbidden_host');
      const crossOrigin = await rawRequest(`${app.url}/__taskscope/requests`, { headers: { host: '127.0.0.1', origin: 'https://evil.example' } });
      expect(crossOrigin.status).toBe(403);
    });

    it('requires the token when one is set, and still tracks the app\'s requests', async () => {
      const app = await start(() => ({ body: 'ok' }), { token: 's3cret-token' });
      const response = await fetch(`${app.url}/a`);
      expect(response.headers.get('x-debug-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect((await fetch(`${app.url}/__taskscope/requests`)).status).toBe(401);
      const withToken = await getJson(`${app.url}/__taskscope/requests`, { headers: { 'x-taskscope-token': 's3cret-token' } });
      expect(withToken.status).toBe(200);
    });

    it('is served under a custom prefix', async () => {
      const app = await start(() => ({ body: 'ok' }), { prefix: '/_debug/tasks' });
      const response = await fetch(`${app.url}/a`);
      expect(response.headers.get('x-debug-url')).toBe(`/_debug/tasks/requests/${response.headers.get('x-debug-id')}`);
      expect((await getJson(`${app.url}${response.headers.get('x-debug-url')}`)).status).toBe(200);
    });
  });

  describe('options', () => {
    it('are checked at start-up, with a precise TypeError', async () => {
      await expect(start(() => ({ body: 'ok' }), { nPlusOneThreshold: -1 }))
        .rejects.toThrow(new TypeError('Expected nPlusOneThreshold to be an integer >= 2, got -1'));
    });
  });

  describe('in production', () => {
    it('is off unless enabled: no headers, no debug routes', async () => {
      const previous = process.env.NODE_ENV;
      process.env.NODE_ENV = 'production';
      try {
        const app = await start(({ path }) => (path === '/' ? { body: 'ok' } : undefined));
        const response = await fetch(`${app.url}/`);
        expect(response.headers.get('x-debug-id')).toBeNull();
        expect(response.headers.get('server-timing')).toBeNull();
        expect((await fetch(`${app.url}/__taskscope/requests`)).status).toBe(404);
      } finally {
        process.env.NODE_ENV = previous;
      }
    });

    it('can be enabled explicitly', async () => {
      const previous = process.env.NODE_ENV;
      process.env.NODE_ENV = 'production';
      try {
        const app = await start(() => ({ body: 'ok' }), { enabled: true });
        expect((await fetch(`${app.url}/`)).headers.get('x-debug-id')).toMatch(/^[0-9a-f-]{36}$/);
      } finally {
        process.env.NODE_ENV = previous;
      }
    });
  });
});
