import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveOptions, type TaskscopeOptions } from '../../server-lib/src/core/options.js';
import { createRuntime, type TaskscopeRuntime } from '../../server-lib/src/core/runtime.js';
import { captureTrace } from '../../server-lib/src/core/stack.js';
import { runDeferredWork } from '../../server-lib/src/core/deferred-work.js';
import type { EnqueueSpec } from '../../server-lib/src/core/scope.js';
import { RunRecording } from '../../server-lib/src/worker/run-recording.js';
import { storeRun, type RunnerInfo } from '../../server-lib/src/worker/stored-run.js';
import { expandRun } from '../../server-lib/src/worker/expand-run.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runner: RunnerInfo = { host: 'box', pid: 42, name: null };
const runtimes: TaskscopeRuntime[] = [];

function recording(options: TaskscopeOptions = {}, attempt = 1): RunRecording {
  const runtime = createRuntime(resolveOptions({ root, ...options }));
  runtimes.push(runtime);
  return new RunRecording(runtime, { prefix: 'bull', queue: 'orders', jobId: '7' }, attempt, runner);
}

function spec(queue: string, name: string, data: unknown, extra: Partial<EnqueueSpec> = {}): EnqueueSpec {
  return { via: 'add', queue, prefix: 'bull', name, data, opts: {}, ...extra };
}

/** One enqueue call of `specs` from a line of this file, BullMQ building each job and answering `jobs`. */
function enqueue(run: RunRecording, specs: EnqueueSpec[], jobs: Array<{ jobId: string | null; duplicate?: boolean; delayMs?: number }> | { error: Error }, opts: unknown = { attempts: 1 }): void {
  // As the instrumentation does: a trace only when the recording asks for frames.
  const pending = run.begin(specs, run.captureFrames > 0 ? captureTrace(run.captureFrames, enqueue) : undefined);
  if (!('error' in jobs)) {
    specs.forEach((one, index) => pending.built({ job: { data: one.data, queueName: one.queue, id: jobs[index]?.jobId ?? undefined, timestamp: Date.now(), opts }, json: JSON.stringify(one.data) }));
  }
  pending.settle('error' in jobs ? jobs : { jobs });
}

/**
 * What the stored form gives back — as a run is written (tasks as BullMQ built them), in memory
 * and through JSON (Redis), and with its tasks' snapshots — next to the recording's own JSON.
 */
function roundTrips(run: RunRecording) {
  runDeferredWork();
  const stored = run.stored();
  const wire = JSON.parse(JSON.stringify(run));
  const snapshots = JSON.parse(JSON.stringify(expandRun(storeRun(run.parts()))));
  expect(snapshots).toEqual(wire);
  return { wire, memory: JSON.parse(JSON.stringify(expandRun(stored))), redis: expandRun(JSON.parse(JSON.stringify(stored))) };
}

afterEach(() => {
  for (const runtime of runtimes.splice(0)) runtime.lateWindows.stop();
});

describe('storeRun(parts) and expandRun(stored)', () => {
  it('give back a completed run that enqueued one follow-up, field for field', () => {
    const run = recording();
    enqueue(run, [spec('emails', 'send-confirmation', { orderId: 7 })], [{ jobId: '12' }]);
    run.finish('completed', undefined, null);
    const { wire, memory, redis } = roundTrips(run);
    expect(wire.enqueued.tasks[0].origin.file).toBe('unit/stored-run.test.ts');
    expect(memory).toEqual(wire);
    expect(redis).toEqual(wire);
    expect(Object.keys(memory.enqueued.tasks[0])).toEqual(Object.keys(wire.enqueued.tasks[0]));
  });

  it('give back a run still running that enqueued nothing', () => {
    const run = recording();
    const { wire, memory, redis } = roundTrips(run);
    expect(wire).toMatchObject({ outcome: 'running', finishedAt: null, runMs: null, enqueued: null });
    expect(memory).toEqual(wire);
    expect(redis).toEqual(wire);
  });

  it('give back a failed attempt: its error and stack, progress, logs and retry', () => {
    const run = recording({}, 3);
    run.addLog('calling the ledger');
    run.addProgress({ step: 2, of: 5 });
    run.addLog('x'.repeat(2_000));
    run.finish('failed', new TypeError('ledger timeout'), true);
    const { wire, memory, redis } = roundTrips(run);
    expect(wire.error.stack.length).toBeGreaterThan(0);
    expect(wire.logs.count).toBe(2);
    expect(memory).toEqual(wire);
    expect(redis).toEqual(wire);
  });

  it('give back many tasks: addBulk, delays, failures, merged duplicates, flows, late ones and an N+1', () => {
    const run = recording({ nPlusOneThreshold: 3 });
    for (const line of [1, 2, 3]) enqueue(run, [spec('pdfs', 'render-receipt', { line })], [{ jobId: `p${line}` }]);
    enqueue(run, [spec('emails', 'a', 1), spec('sms', 'b', 2, { via: 'addBulk' })], [{ jobId: 'e1' }, { jobId: 's1', delayMs: 500 }]);
    enqueue(run, [spec('emails', 'dup', 3)], [{ jobId: 'e1' }], { jobId: 'e1' });
    enqueue(run, [spec('emails', 'oops', 4)], { error: new Error('READONLY') });
    enqueue(run, [spec('flows', 'child', 5, { via: 'flow', parent: { queue: 'flows', jobId: null } })], [{ jobId: 'c1' }]);
    enqueue(run, [spec('other', 'x', 6, { prefix: 'custom', schedulerId: 'nightly' })], [{ jobId: null }]);
    run.finish('completed', undefined, null);
    enqueue(run, [spec('emails', 'late', 7)], [{ jobId: 'l1' }]);
    const { wire, memory, redis } = roundTrips(run);
    expect(wire.enqueued.nPlusOne).toHaveLength(1);
    expect(wire.enqueued.summary).toMatchObject({ failed: 1, duplicates: 1, late: 1, delayed: 1 });
    expect(wire.enqueued.tasks.some((task: { late: boolean }) => task.late)).toBe(true);
    expect(memory).toEqual(wire);
    expect(redis).toEqual(wire);
  });

  it('give back a run past the task limit, its dropped tasks counted in the summary', () => {
    const run = recording({ limits: { maxTasksPerRequest: 2 } });
    enqueue(run, [1, 2, 3].map((n) => spec('emails', 'e', n)), [{ jobId: '1' }, { jobId: '2' }, { jobId: '3' }]);
    run.finish('completed', undefined, null);
    const { wire, memory, redis } = roundTrips(run);
    expect(wire.enqueued).toMatchObject({ droppedTasks: 1, summary: { total: 3 } });
    expect(memory).toEqual(wire);
    expect(redis).toEqual(wire);
  });

  it('give back a run recorded without stacks, and a moved one', () => {
    const run = recording({ captureStacks: false });
    enqueue(run, [spec('emails', 'send', { to: 'a@b.c', password: 'hunter2' })], [{ jobId: '9' }]);
    run.finish('moved', Object.assign(new Error('delayed'), { name: 'DelayedError' }), null);
    const { wire, memory, redis } = roundTrips(run);
    expect(wire.enqueued.tasks[0]).toMatchObject({ origin: null, stack: [], data: { password: { $taskscope: 'redacted' } } });
    expect(memory).toEqual(wire);
    expect(redis).toEqual(wire);
  });

  it('take a run an older worker stored as a whole JobRun as it is', () => {
    const run = recording();
    run.finish('completed', undefined, null);
    const whole = JSON.parse(JSON.stringify(run));
    expect(expandRun(whole)).toBe(whole);
  });

  it('keep the data BullMQ stored and its options as JSON, made redacted snapshots only when read', () => {
    const run = recording();
    const data = { to: 'a@b.c', password: 'hunter2' };
    enqueue(run, [spec('emails', 'send', data)], [{ jobId: '9' }], { attempts: 3, backoff: undefined });
    run.finish('completed', undefined, null);
    const stored = run.stored();
    expect(stored.tasks).toMatchObject({ raw: true, data: JSON.stringify(data), opts: '{"attempts":3}' });
    const { wire, memory, redis } = roundTrips(run);
    expect(wire.enqueued.tasks[0]).toMatchObject({ data: { to: 'a@b.c', password: { $taskscope: 'redacted' } }, opts: { attempts: 3 }, truncated: false });
    expect(memory).toEqual(wire);
    expect(redis).toEqual(wire);
    // A stored run in JSON (what a Redis store would write) never holds the data as it came.
    expect(JSON.stringify(stored)).not.toContain('hunter2');
  });

  it('keep the snapshot of data too long to keep as it came, cut to the limits', () => {
    const run = recording({ limits: { maxStringLength: 100 } });
    enqueue(run, [spec('pdfs', 'render', { html: 'x'.repeat(100_000) })], [{ jobId: '1' }]);
    run.finish('completed', undefined, null);
    const stored = run.stored();
    expect(stored.tasks).toMatchObject({ raw: false });
    expect((stored.tasks as { data: string }).data.length).toBeLessThan(1_000);
    const { wire, memory, redis } = roundTrips(run);
    expect(wire.enqueued.tasks[0].truncated).toBe(true);
    expect(memory).toEqual(wire);
    expect(redis).toEqual(wire);
  });

  it('read the options BullMQ built once, however often the run is written', () => {
    const run = recording();
    let reads = 0;
    const opts = { attempts: 2, get backoff() { reads += 1; return { type: 'fixed', delay: 10 }; } };
    enqueue(run, [spec('emails', 'send', { n: 1 })], [{ jobId: '1' }], opts);
    run.stored();
    run.finish('completed', undefined, null);
    const { wire, memory } = roundTrips(run);
    expect(wire.enqueued.tasks[0].opts).toEqual({ attempts: 2, backoff: { type: 'fixed', delay: 10 } });
    expect(memory).toEqual(wire);
    // Once: the stored runs and the recording's own snapshot share the task's one JSON of them.
    expect(reads).toBe(1);
  });

  it('keep the options JSON cannot hold as their snapshot', () => {
    const run = recording();
    const opts: Record<string, unknown> = { attempts: 1 };
    opts.self = opts;
    enqueue(run, [spec('emails', 'send', { n: 1 })], [{ jobId: '1' }], opts);
    run.finish('completed', undefined, null);
    expect(run.stored().tasks).toMatchObject({ raw: false });
    const { wire, memory, redis } = roundTrips(run);
    expect(wire.enqueued.tasks[0].opts).toEqual({ attempts: 1, self: { $taskscope: 'circular' } });
    expect(memory).toEqual(wire);
    expect(redis).toEqual(wire);
  });

  it('give each task the data of its own job when BullMQ builds a call\'s jobs out of order', () => {
    const run = recording();
    const specs = [spec('emails', 'a', { n: 1 }), spec('emails', 'b', { n: 2 }), spec('emails', 'c', { n: 3 })];
    const pending = run.begin(specs, undefined);
    for (const index of [1, 0, 2]) {
      const one = specs[index]!;
      pending.built({ job: { data: one.data, queueName: one.queue, id: `j${index}`, timestamp: Date.now(), opts: { attempts: index } }, json: JSON.stringify(one.data) });
    }
    pending.settle({ jobs: specs.map((_, index) => ({ jobId: `j${index}` })) });
    run.finish('completed', undefined, null);
    const { wire, memory, redis } = roundTrips(run);
    expect(wire.enqueued.tasks.map((task: { data: unknown; opts: unknown }) => [task.data, task.opts])).toEqual([[{ n: 1 }, { attempts: 0 }], [{ n: 2 }, { attempts: 1 }], [{ n: 3 }, { attempts: 2 }]]);
    expect(memory).toEqual(wire);
    expect(redis).toEqual(wire);
  });
});
