import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobStatus, RequestRecord, RequestStatusResponse } from 'taskscope/protocol';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { descendants, innermost, killAll, spawnDemo, startDemo, stillRunning, type Demo } from '../support/demo-process.js';

// The demo is started exactly as docs/demo.md says: `npm run demo` from the repository root.

const WAIT = { timeout: 25_000, interval: 250 };

describe('npm run demo (REDIS_URL and PORT=0 set)', () => {
  let demo: Demo;

  async function call(method: string, path: string) {
    const response = await fetch(new URL(path, demo.baseUrl), { method });
    const body = (await response.json()) as Record<string, unknown>;
    const debugUrl = response.headers.get('x-debug-url');
    expect(debugUrl, `${method} ${path} has X-Debug-Url`).toBeTruthy();
    const record = (await (await fetch(new URL(debugUrl!, demo.baseUrl))).json()) as RequestRecord;
    return { response, body, record };
  }

  async function fetchRecord(id: string): Promise<RequestRecord> {
    return (await (await fetch(new URL(`/__taskscope/requests/${id}`, demo.baseUrl))).json()) as RequestRecord;
  }

  /** Polls the status endpoint until `check` passes, as the panel does. */
  function statusOf(record: RequestRecord, check: (jobs: JobStatus[]) => void): Promise<JobStatus[]> {
    return vi.waitFor(async () => {
      const url = new URL(`/__taskscope/requests/${record.id}/status`, demo.baseUrl);
      const { jobs } = (await (await fetch(url)).json()) as RequestStatusResponse;
      check(jobs);
      return jobs;
    }, WAIT);
  }

  const names = (record: RequestRecord) => record.tasks.map((task) => `${task.queue}/${task.name}`);
  const states = (jobs: JobStatus[]) => jobs.map((job) => job.state);

  beforeAll(async () => {
    demo = await startDemo({
      REDIS_URL: inject('redisUrl'),
      PORT: '0',
      // A key prefix of its own, so no other run or test sees these queues.
      DEMO_QUEUE_PREFIX: `demo-test-${randomUUID().slice(0, 8)}`,
    });
  });

  afterAll(() => killAll(demo, []));

  it('serves the home page with a button for each scenario route', async () => {
    const response = await fetch(demo.baseUrl);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    const buttons = [...(await response.text()).matchAll(/data-method="(\w+)" data-url="([^"]+)"/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(buttons).toEqual([
      'POST /api/orders',
      'POST /api/receipts/one-by-one',
      'POST /api/receipts/batched',
      'POST /api/reports/sales',
      'POST /api/accounting/sync',
      'POST /api/invoices',
      'POST /api/shipments',
      'POST /api/products/MUG-01/views',
      'PUT /api/products/MUG-01',
      'PUT /api/maintenance/abandoned-carts',
      'GET /api/products',
      'POST /api/support/tickets?priority=5000000',
    ]);
  });

  it('GET /api/products enqueues nothing and is still tagged with X-Debug-Id, X-Debug-Url and Server-Timing', async () => {
    const { response, body, record } = await call('GET', '/api/products');
    expect(response.status).toBe(200);
    expect(body.products).toHaveLength(4);
    const id = response.headers.get('x-debug-id')!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('x-debug-url')).toBe(`/__taskscope/requests/${id}`);
    expect(response.headers.get('server-timing')).toMatch(new RegExp(`^tasks;dur=[\\d.]+;desc="0 tasks", taskscope;desc="${id}"$`));
    expect(record).toMatchObject({ id, request: { method: 'GET', url: '/api/products', status: 200 }, tasks: [], nPlusOne: [] });
  });

  it('POST /api/orders enqueues a confirmation email, a reminder delayed by 30 s and a prioritized fraud check', async () => {
    const { response, record } = await call('POST', '/api/orders');
    expect(response.status).toBe(201);
    expect(response.headers.get('server-timing')).toContain('desc="3 tasks"');
    expect(names(record)).toEqual(['emails/send-order-confirmation', 'emails/send-review-reminder', 'fraud/check-order']);
    const [confirmation, reminder, fraudCheck] = record.tasks;
    expect(confirmation).toMatchObject({ via: 'add', delayMs: 0, late: false, error: null, origin: { file: 'src/routes/orders.ts' } });
    expect(reminder).toMatchObject({ delayMs: 30_000, scheduledFor: expect.any(Number) });
    expect(fraudCheck!.opts).toMatchObject({ priority: 1 });
    expect(record.summary).toMatchObject({ total: 3, immediate: 2, delayed: 1, failed: 0 });

    await statusOf(record, (jobs) => expect(states(jobs)).toEqual(['completed', 'delayed', 'completed']));
  });

  it('POST /api/receipts/one-by-one (queue.add in a loop) is flagged as N+1', async () => {
    const { record } = await call('POST', '/api/receipts/one-by-one');
    expect(record.tasks).toHaveLength(12);
    expect(record.tasks.every((task) => task.via === 'add' && task.name === 'send-receipt')).toBe(true);
    expect(record.nPlusOne).toHaveLength(1);
    expect(record.nPlusOne[0]).toMatchObject({ queue: 'emails', name: 'send-receipt', count: 12, origin: { file: 'src/routes/receipts.ts' } });
    expect(record.nPlusOne[0]!.suggestion).toContain('addBulk');
    await statusOf(record, (jobs) => expect(states(jobs)).toEqual(Array(12).fill('completed')));
  });

  it('POST /api/receipts/batched (queue.addBulk) enqueues the same 12 jobs and is not N+1', async () => {
    const { record } = await call('POST', '/api/receipts/batched');
    expect(record.tasks).toHaveLength(12);
    expect(record.tasks.every((task) => task.via === 'addBulk')).toBe(true);
    expect(record.nPlusOne).toEqual([]);
  });

  it('POST /api/reports/sales runs a job whose progress reaches 100', async () => {
    const { response, record } = await call('POST', '/api/reports/sales');
    expect(response.status).toBe(202);
    expect(names(record)).toEqual(['reports/build-sales-report']);
    const [report] = await statusOf(record, (jobs) => expect(states(jobs)).toEqual(['completed']));
    expect(report).toMatchObject({ progress: 100, returnValue: { rows: 1284 } });
  });

  it('POST /api/accounting/sync: the flaky job fails its first attempt and completes on the retry', async () => {
    const { record } = await call('POST', '/api/accounting/sync');
    expect(record.tasks[0]!.opts).toMatchObject({ attempts: 3, backoff: { type: 'exponential' } });
    const [sync] = await statusOf(record, (jobs) => expect(states(jobs)).toEqual(['completed']));
    expect(sync!.attemptsMade).toBe(2);
  });

  it('POST /api/invoices: the broken job ends failed with its reason', async () => {
    const { record } = await call('POST', '/api/invoices');
    const [invoice] = await statusOf(record, (jobs) => expect(states(jobs)).toEqual(['failed']));
    expect(invoice).toMatchObject({ attemptsMade: 2, failedReason: 'Invoice template "invoice-v2" does not exist' });
  });

  it('POST /api/shipments enqueues a flow: a parent and its children in two queues', async () => {
    const { record } = await call('POST', '/api/shipments');
    expect(names(record)).toEqual(['shipping/ship-order', 'warehouse/pick-items', 'shipping/print-label']);
    const [parent, ...children] = record.tasks;
    expect(record.tasks.every((task) => task.via === 'flow')).toBe(true);
    for (const child of children) expect(child.parent).toEqual({ queue: 'shipping', jobId: parent!.jobId });
    await statusOf(record, (jobs) => expect(states(jobs)).toEqual(['completed', 'completed', 'completed']));
  });

  it('POST /api/products/:sku/views: the job enqueued after the response shows as a late task', async () => {
    const { response } = await call('POST', '/api/products/MUG-01/views');
    expect(response.status).toBe(202);
    expect(response.headers.get('server-timing')).toContain('desc="0 tasks"');
    const record = await vi.waitFor(async () => {
      const latest = await fetchRecord(response.headers.get('x-debug-id')!);
      expect(latest.tasks).toHaveLength(1);
      return latest;
    }, WAIT);
    expect(record.tasks[0]).toMatchObject({ queue: 'analytics', name: 'track-product-view', late: true, error: null });
    expect(record.summary.late).toBe(1);
  });

  it('PUT /api/products/:sku: the second, deduplicated add is not a new job', async () => {
    const { body, record } = await call('PUT', '/api/products/MUG-01');
    expect(body.sameJob).toBe(true);
    expect(record.tasks).toHaveLength(2);
    expect(record.tasks[1]!.jobId).toBe(record.tasks[0]!.jobId);
    const jobs = await statusOf(record, (jobs) => expect(jobs).toHaveLength(2));
    expect(jobs.map((job) => record.tasks[job.seq! - 1]!.duplicate ?? job.duplicate ?? false)).toEqual([false, true]);
  });

  it('PUT /api/maintenance/abandoned-carts upserts a job scheduler', async () => {
    const { record } = await call('PUT', '/api/maintenance/abandoned-carts');
    expect(record.tasks).toHaveLength(1);
    expect(record.tasks[0]).toMatchObject({ queue: 'maintenance', via: 'scheduler', schedulerId: 'remind-abandoned-carts' });
  });

  it('POST /api/support/tickets with a bad priority: the client gets a 422 and the record the failed enqueue', async () => {
    const { response, body, record } = await call('POST', '/api/support/tickets?priority=5000000');
    expect(response.status).toBe(422);
    expect(body.error).toMatch(/Priority should be between 0 and/);
    expect(record.request.status).toBe(422);
    expect(record.summary.failed).toBe(1);
    expect(record.tasks[0]).toMatchObject({ queue: 'support', name: 'triage-ticket', jobId: null, error: expect.stringMatching(/Priority/) });
  });

  it('stops on SIGINT: exit code 0 and no process left behind', async () => {
    const tree = descendants(demo.child.pid!);
    process.kill(innermost(tree, 'src/main.ts'), 'SIGINT');
    expect(await demo.exit).toEqual({ code: 0, signal: null });
    expect(demo.output()).toContain('Shutting down');
    expect(stillRunning(tree)).toEqual([]);
  });
});

describe('DEMO_WORKERS=0 npm run demo, and npm run demo:worker', () => {
  let web: Demo | undefined;
  let worker: Omit<Demo, 'baseUrl'> | undefined;
  afterAll(() => {
    killAll(web, []);
    killAll(worker, []);
  });

  it('runs the web app jobs in the worker process; both stop on SIGTERM with exit code 0', async () => {
    const env = { REDIS_URL: inject('redisUrl'), PORT: '0', DEMO_QUEUE_PREFIX: `demo-test-${randomUUID().slice(0, 8)}` };
    web = await startDemo({ ...env, DEMO_WORKERS: '0' });
    expect(web.output()).toContain('Workers: not started here');
    worker = spawnDemo(env, 'demo:worker');
    await vi.waitFor(() => expect(worker!.output()).toContain('Taskscope demo workers: consuming'), { timeout: 50_000, interval: 100 });

    const response = await fetch(new URL('/api/orders', web.baseUrl), { method: 'POST' });
    const statusUrl = new URL(`${response.headers.get('x-debug-url')}/status`, web.baseUrl);
    await vi.waitFor(async () => {
      const { jobs } = (await (await fetch(statusUrl)).json()) as RequestStatusResponse;
      expect(jobs.map((job) => job.state)).toEqual(['completed', 'delayed', 'completed']);
    }, WAIT);

    for (const [proc, file] of [[web, 'src/main.ts'], [worker, 'src/worker-main.ts']] as const) {
      process.kill(innermost(descendants(proc.child.pid!), file), 'SIGTERM');
      expect(await proc.exit).toEqual({ code: 0, signal: null });
    }
  });
});

describe('npm run demo without REDIS_URL', () => {
  let demo: Demo | undefined;
  let tree: { pid: number; command: string }[] = [];
  afterAll(() => killAll(demo, tree.map((proc) => proc.pid)));

  it('starts a private redis-server and stops it, and everything else, on Ctrl-C', async () => {
    demo = await startDemo({ REDIS_URL: '', PORT: '0' });
    expect(demo.output()).toMatch(/started a private redis-server at redis:\/\/127\.0\.0\.1:\d+/);
    tree = descendants(demo.child.pid!);
    expect(tree.some((proc) => proc.command.startsWith('redis-server'))).toBe(true);
    expect((await fetch(new URL('/api/orders', demo.baseUrl), { method: 'POST' })).status).toBe(201);

    // Ctrl-C signals the terminal's whole foreground process group.
    process.kill(-demo.child.pid!, 'SIGINT');
    // The scripts `exec` their command, so no /bin/sh layer (dash re-raises a SIGINT it got
    // while waiting) stands between npm and the demo: npm reports the demo's own exit code.
    expect(await demo.exit).toEqual({ code: 0, signal: null });
    expect(demo.output()).not.toMatch(/error/i);
    // npm may return before the demo has finished cleaning up; what matters is that it does.
    await vi.waitFor(() => expect(stillRunning(tree)).toEqual([]), WAIT);
  });

  it('exits 1 and says how to get Redis when there is no redis-server on PATH', async () => {
    // A PATH with node, npm and sh, but no redis-server.
    const bin = mkdtempSync(join(tmpdir(), 'demo-path-'));
    for (const tool of ['node', 'npm', 'sh']) {
      symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`]).toString().trim(), join(bin, tool));
    }
    try {
      const failing = spawnDemo({ REDIS_URL: '', PATH: bin });
      expect((await failing.exit).code).toBe(1);
      expect(failing.output()).toContain('redis-server was not found on PATH');
      expect(failing.output()).toContain('apt-get install redis-server');
      expect(failing.output()).toContain('REDIS_URL=');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('exits 1 and leaves no redis-server behind when the port is taken', async () => {
    const blocker = createServer().listen(0);
    await once(blocker, 'listening');
    const port = (blocker.address() as { port: number }).port;
    try {
      const failing = spawnDemo({ REDIS_URL: '', PORT: String(port) });
      const { code } = await failing.exit;
      expect(code).toBe(1);
      expect(failing.output()).toMatch(/Could not listen on port/);
      const redisPort = /redis:\/\/127\.0\.0\.1:(\d+)/.exec(failing.output())![1];
      const redisLeft = execFileSync('ps', ['-ww', '-A', '-o', 'args=']).toString().split('\n').filter((args) => args.startsWith('redis-server') && args.includes(`:${redisPort}`));
      expect(redisLeft).toEqual([]);
    } finally {
      blocker.close();
    }
  });
});
