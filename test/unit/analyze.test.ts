import { describe, expect, it } from 'vitest';
import { addToSummary, createSummary, detectNPlusOne } from '../../server-lib/src/core/analyze.js';
import type { StackFrame, TaskRecord } from '../../server-lib/src/protocol.js';

const line45: StackFrame = { file: 'src/routes/orders.ts', line: 45, column: 9, function: 'createOrder' };
const line50: StackFrame = { file: 'src/routes/orders.ts', line: 50, column: 5, function: 'createOrder' };
let nextSeq = 1;

function task(overrides: Partial<TaskRecord> = {}): TaskRecord {
  return {
    seq: nextSeq++, jobId: '1', queue: 'emails', prefix: 'bull', name: 'send-receipt', via: 'add',
    data: {}, opts: {}, truncated: false, enqueuedAt: 0, offsetMs: 0, enqueueMs: 1, delayMs: 0,
    scheduledFor: null, late: false, error: null, duplicate: null, jobTimestamp: null, parent: null,
    schedulerId: null, origin: line45, stack: [line45], ...overrides,
  };
}

describe('createSummary()', () => {
  it('starts at zero', () => {
    expect(createSummary()).toEqual({ total: 0, immediate: 0, delayed: 0, failed: 0, late: 0, enqueueMs: 0, byQueue: {}, byName: {} });
  });
});

describe('addToSummary()', () => {
  it('counts immediate, delayed, failed and late tasks, and tallies queues and names', () => {
    const summary = createSummary();
    addToSummary(summary, task({ enqueueMs: 0.5 }));
    addToSummary(summary, task({ delayMs: 5000, enqueueMs: 0.25, name: 'reminder' }));
    addToSummary(summary, task({ error: 'Connection is closed.', queue: 'sms', enqueueMs: 2 }));
    addToSummary(summary, task({ late: true, delayMs: 10, queue: 'sms' }));
    expect(summary).toEqual({
      total: 4, immediate: 2, delayed: 2, failed: 1, late: 1, enqueueMs: 3.75,
      byQueue: { emails: { count: 2, enqueueMs: 0.75 }, sms: { count: 2, enqueueMs: 3 } },
      byName: { 'send-receipt': { count: 3, enqueueMs: 3.5 }, reminder: { count: 1, enqueueMs: 0.25 } },
    });
  });

  it('keeps queue and job names like __proto__ and constructor as ordinary entries', () => {
    const summary = createSummary();
    addToSummary(summary, task({ queue: '__proto__', name: 'constructor' }));
    addToSummary(summary, task({ queue: '__proto__', name: 'toString' }));
    expect(JSON.stringify(summary.byQueue)).toBe('{"__proto__":{"count":2,"enqueueMs":2}}');
    expect(Object.keys(summary.byName)).toEqual(['constructor', 'toString']);
    expect(({} as Record<string, unknown>).count).toBeUndefined();
  });
});

describe('detectNPlusOne()', () => {
  it('groups jobs of one queue and name added one by one from the same line', () => {
    const tasks = [task(), task({ enqueueMs: 2 }), task({ name: 'other' }), task({ enqueueMs: 3 })];
    const groups = detectNPlusOne(tasks, 3);
    expect(groups).toEqual([{
      queue: 'emails', name: 'send-receipt', origin: line45, count: 3, enqueueMs: 6,
      seqs: [tasks[0]!.seq, tasks[1]!.seq, tasks[3]!.seq],
      suggestion: '3 "send-receipt" jobs were added one by one to "emails" from src/routes/orders.ts:45. Batch them with queue.addBulk([...]): one round trip instead of 3.',
    }]);
  });

  it('needs the threshold to be reached', () => {
    expect(detectNPlusOne([task(), task()], 3)).toEqual([]);
    expect(detectNPlusOne([task(), task()], 2)).toHaveLength(1);
  });

  it('keeps different lines, queues and names apart, biggest group first', () => {
    const tasks = [
      task(), task(), task(),
      task({ origin: line50 }), task({ origin: line50 }), task({ origin: line50 }), task({ origin: line50 }),
      task({ queue: 'sms' }), task({ queue: 'sms' }),
    ];
    const groups = detectNPlusOne(tasks, 3);
    expect(groups.map((group) => [group.origin?.line, group.count])).toEqual([[50, 4], [45, 3]]);
  });

  it('groups by queue and name alone when stacks are off', () => {
    const tasks = [task({ origin: null }), task({ origin: null }), task({ origin: null })];
    const [group] = detectNPlusOne(tasks, 3);
    expect(group).toMatchObject({ origin: null, count: 3 });
    expect(group!.suggestion).toBe('3 "send-receipt" jobs were added one by one to "emails". Batch them with queue.addBulk([...]): one round trip instead of 3.');
  });

  it('never flags jobs already batched by addBulk, flows or job schedulers', () => {
    const tasks = (['addBulk', 'flow', 'scheduler'] as const).flatMap((via) => [task({ via }), task({ via }), task({ via })]);
    expect(detectNPlusOne(tasks, 3)).toEqual([]);
  });
});
