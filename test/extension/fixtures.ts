import type { JobStatus, RequestRecord, TaskRecord } from 'taskscope/protocol';

/** A string that would run script or create elements if the panel ever rendered it as HTML. */
export const HOSTILE = `<img src=x onerror="globalThis.__pwned=1"></script><script>globalThis.__pwned=2</script>`;

const T0 = 1_763_900_000_000;

/** A task with sensible defaults; override what a test is about. */
export function makeTask(seq: number, overrides: Partial<TaskRecord> = {}): TaskRecord {
  return {
    seq,
    jobId: String(100 + seq),
    queue: 'emails',
    prefix: 'bull',
    name: 'send-email',
    via: 'add',
    data: { to: `user${seq}@example.test`, orderId: 4000 + seq },
    opts: { attempts: 3, delay: 0 },
    truncated: false,
    enqueuedAt: T0 + 3 + seq,
    offsetMs: 3 + seq,
    enqueueMs: 0.7,
    callSeq: seq,
    callSize: 1,
    delayMs: 0,
    scheduledFor: null,
    late: false,
    error: null,
    duplicate: false,
    duplicateOf: null,
    jobTimestamp: T0 + 3 + seq,
    parent: null,
    schedulerId: null,
    origin: { file: 'src/routes/orders.ts', line: 45, column: 9, function: 'createOrder' },
    stack: [
      { file: 'src/routes/orders.ts', line: 45, column: 9, function: 'createOrder' },
      { file: 'src/app.ts', line: 12, column: 3, function: null },
    ],
    ...overrides,
  };
}

/** A record of a POST /orders that sent one receipt, one delayed reminder and a loop of N receipts. */
export function makeRecord(overrides: Partial<RequestRecord> = {}, loop = 4): RequestRecord {
  const tasks: TaskRecord[] = [
    makeTask(1, {
      name: 'send-confirmation',
      data: {
        to: 'ann@example.test',
        password: { $taskscope: 'redacted' },
        note: { $taskscope: 'truncated', preview: 'Lorem ipsum dolor', length: 120000 },
        items: [1, 2, { $taskscope: 'more', count: 998 }],
        at: { $taskscope: 'date', iso: '2025-11-23T12:00:00.000Z' },
      },
    }),
    makeTask(2, { name: 'remind', queue: 'reminders', delayMs: 60_000, scheduledFor: T0 + 60_005, opts: { delay: 60000 } }),
  ];
  for (let i = 0; i < loop; i++) {
    tasks.push(
      makeTask(3 + i, {
        name: 'send-receipt',
        origin: { file: 'src/routes/orders.ts', line: 52, column: 13, function: 'sendReceipts' },
        stack: [{ file: 'src/routes/orders.ts', line: 52, column: 13, function: 'sendReceipts' }],
      }),
    );
  }
  const loopSeqs = tasks.filter((t) => t.name === 'send-receipt').map((t) => t.seq);
  return {
    version: 1,
    id: '6f1c2a4e-9a3b-4c55-8d1e-0123456789ab',
    request: { method: 'POST', url: '/orders?x=1', status: 201, startedAt: T0, durationMs: 24.6 },
    summary: {
      total: tasks.length,
      jobs: tasks.length,
      duplicates: 0,
      calls: tasks.length,
      untallied: 0,
      immediate: tasks.length - 1,
      delayed: 1,
      failed: 0,
      late: 0,
      enqueueMs: tasks.length * 0.7,
      byQueue: { emails: { count: tasks.length - 1, enqueueMs: (tasks.length - 1) * 0.7 }, reminders: { count: 1, enqueueMs: 0.7 } },
      byName: {
        'send-confirmation': { count: 1, enqueueMs: 0.7 },
        remind: { count: 1, enqueueMs: 0.7 },
        'send-receipt': { count: loop, enqueueMs: loop * 0.7 },
      },
    },
    tasks,
    nPlusOne:
      loop >= 3
        ? [
            {
              queue: 'emails',
              name: 'send-receipt',
              origin: { file: 'src/routes/orders.ts', line: 52, column: 13, function: 'sendReceipts' },
              count: loop,
              enqueueMs: loop * 0.7,
              seqs: loopSeqs,
              suggestion: 'Enqueue these jobs in one call with queue.addBulk([...]).',
            },
          ]
        : [],
    droppedTasks: 0,
    revision: tasks.length * 2,
    lateUntil: T0 + 30_000,
    ...overrides,
  };
}

/** A status answer line for a task. */
export function makeStatus(task: TaskRecord, state: JobStatus['state'], overrides: Partial<JobStatus> = {}): JobStatus {
  const done = state === 'completed' || state === 'failed';
  return {
    seq: task.seq,
    queue: task.queue,
    jobId: task.jobId ?? '',
    state,
    progress: done ? 100 : 0,
    attemptsMade: done ? 1 : 0,
    attempts: 3,
    attemptsStarted: done ? 1 : 0,
    delayMs: task.delayMs,
    logs: { count: 0, lines: [] },
    timestamp: task.enqueuedAt,
    processedOn: state === 'active' || done ? task.enqueuedAt + 30 : null,
    finishedOn: done ? task.enqueuedAt + 80 : null,
    waitMs: 30,
    runMs: done ? 50 : null,
    returnValue: state === 'completed' ? { sent: true } : null,
    failedReason: state === 'failed' ? 'SMTP timeout' : null,
    stacktrace: state === 'failed' ? ['Error: SMTP timeout\n    at send (src/workers/email.ts:10:11)'] : [],
    ...overrides,
  };
}

/** A record in which every string the server controls is hostile. */
export function makeHostileRecord(): RequestRecord {
  const frame = { file: `${HOSTILE}.ts`, line: 1, column: 1, function: HOSTILE };
  const task = makeTask(1, {
    name: HOSTILE,
    queue: HOSTILE,
    jobId: HOSTILE,
    data: { [HOSTILE]: HOSTILE, nested: [HOSTILE, { $taskscope: 'truncated', preview: HOSTILE, length: 99999 }] },
    opts: { jobId: HOSTILE },
    error: HOSTILE,
    origin: frame,
    stack: [frame],
    parent: { queue: HOSTILE, jobId: HOSTILE },
    schedulerId: HOSTILE,
  });
  return makeRecord({
    id: 'hostile-0000-0000',
    request: { method: HOSTILE, url: `/${HOSTILE}`, status: 200, startedAt: T0, durationMs: 3 },
    summary: {
      total: 1, jobs: 0, duplicates: 0, calls: 1, untallied: 0, immediate: 1, delayed: 0, failed: 1, late: 0, enqueueMs: 0.7,
      byQueue: { [HOSTILE]: { count: 1, enqueueMs: 0.7 } },
      byName: { [HOSTILE]: { count: 1, enqueueMs: 0.7 } },
    },
    tasks: [task],
    nPlusOne: [{ queue: HOSTILE, name: HOSTILE, origin: frame, count: 3, enqueueMs: 2, seqs: [1], suggestion: HOSTILE }],
  });
}
