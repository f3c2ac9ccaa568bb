import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runInRequestScope, type EnqueueRecorder } from '../../server-lib/src/core/scope.js';
import { captureTrace, formatTrace, type FormattedStack } from '../../server-lib/src/core/stack.js';
import { parseStackLine } from '../../server-lib/src/core/stack-text.js';

const thisFile = fileURLToPath(import.meta.url);
const testRoot = path.resolve(path.dirname(thisFile), '..');
const serverLibSrc = path.resolve(testRoot, '../server-lib/src');
const source = readFileSync(thisFile, 'utf8').split('\n');

/** 1-based line of this file holding `marker`, so the assertions survive edits above it. */
function lineOf(marker: string): number {
  return source.findIndex((line) => line.includes(marker) && !line.includes('lineOf(')) + 1;
}

type Trace = ReturnType<typeof captureTrace>;

/** What the instrumentation does around an enqueue: V8's trace below it, its frames read later. */
function capture(maxFrames = 20): Trace {
  return captureTrace(maxFrames, capture);
}

/** A fresh options object each time: formatted traces are cached per options object. */
function format(trace: Trace, options: { cwd?: string; maxFrames?: number } = {}): FormattedStack {
  return formatTrace(trace, { cwd: options.cwd ?? testRoot, maxFrames: options.maxFrames ?? 10 });
}

function createOrder(): Trace {
  return capture(); // capture: createOrder
}

function handleRequest(): Trace {
  return createOrder(); // call: handleRequest
}

async function tick(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

async function enqueueAfterAwaits(): Promise<Trace> {
  await tick();
  await tick();
  return capture(); // capture: enqueueAfterAwaits
}

async function routeHandler(): Promise<Trace> {
  await tick();
  return await enqueueAfterAwaits(); // call: routeHandler
}

describe('captureTrace() and formatTrace()', () => {
  it('points origin at the line that captured, then its callers', () => {
    const { origin, stack } = format(handleRequest());
    expect(origin).toEqual({ file: 'unit/stack.test.ts', line: lineOf('// capture: createOrder'), column: expect.any(Number), function: 'createOrder' });
    expect(stack[1]).toMatchObject({ file: 'unit/stack.test.ts', line: lineOf('// call: handleRequest'), function: 'handleRequest' });
  });

  it('follows awaits: the caller of an async function shows up after its awaits resolved', async () => {
    const { origin, stack } = format(await routeHandler());
    expect(origin).toMatchObject({ file: 'unit/stack.test.ts', line: lineOf('// capture: enqueueAfterAwaits'), function: 'enqueueAfterAwaits' });
    expect(stack[1]).toMatchObject({ file: 'unit/stack.test.ts', line: lineOf('// call: routeHandler'), function: 'routeHandler' });
  });

  it('leaves out frames of node_modules and Node internals', () => {
    let trace: Trace | undefined;
    fc.assert(fc.property(fc.constant(1), () => {
      trace = capture(50); // capture: inside fast-check
    }), { numRuns: 1 });
    const { origin, stack } = format(trace!, { maxFrames: 50 });
    expect(origin).toMatchObject({ line: lineOf('// capture: inside fast-check') });
    expect(stack.length).toBeGreaterThan(0);
    for (const frame of stack) {
      expect(frame.file).not.toContain('node_modules');
      expect(frame.file).not.toMatch(/^(node:|internal\/)/);
    }
  });

  it("leaves out taskscope's own files", () => {
    const recorder = { begin: () => ({ settle() {} }) } as unknown as EnqueueRecorder;
    const trace = runInRequestScope(recorder, () => capture(50)); // capture: through scope.ts
    const { origin, stack } = format(trace, { maxFrames: 50 });
    expect(origin).toMatchObject({ file: 'unit/stack.test.ts', line: lineOf('// capture: through scope.ts') });
    expect(stack.some((frame) => frame.file.includes('server-lib'))).toBe(false);
  });

  it('keeps absolute paths outside cwd and limits frames', () => {
    const elsewhere = format(handleRequest(), { cwd: '/nowhere', maxFrames: 1 });
    expect(elsewhere.stack).toHaveLength(1);
    expect(elsewhere.origin?.file).toBe(thisFile);
    expect(format(handleRequest()).origin?.file).toBe('unit/stack.test.ts');
  });

  it('formats a trace seen before once: the same frames, frozen, for every enqueue from that line', () => {
    const options = { cwd: testRoot, maxFrames: 10 };
    const traces = Array.from({ length: 3 }, () => handleRequest());
    const [first, ...again] = traces.map((trace) => formatTrace(trace, options));
    for (const formatted of again) expect(formatted).toBe(first);
    expect(Object.isFrozen(first!.origin)).toBe(true);
    // Another line is another trace.
    expect(formatTrace(capture(), options).origin?.line).not.toBe(first!.origin?.line);
  });

  it("works when the app installed its own Error.prepareStackTrace", () => {
    const previous = Error.prepareStackTrace;
    try {
      Error.prepareStackTrace = (_error, sites) => sites;
      expect(format(handleRequest()).origin).toMatchObject({ function: 'createOrder' });
      Error.prepareStackTrace = () => 'no frames here';
      expect(format(handleRequest())).toEqual({ origin: null, stack: [] });
      Error.prepareStackTrace = () => { throw new Error('broken tool'); };
      expect(format(handleRequest())).toEqual({ origin: null, stack: [] });
    } finally {
      Error.prepareStackTrace = previous;
    }
  });

  it('restores Error.stackTraceLimit', () => {
    const limit = Error.stackTraceLimit;
    capture(99);
    expect(Error.stackTraceLimit).toBe(limit);
  });
});

describe('parseStackLine()', () => {
  const frame = (file: string, line: number, column: number, fn: string | null) => ({ file, line, column, function: fn });

  it.each([
    ['    at createOrder (/srv/app/src/orders.ts:45:9)', frame('/srv/app/src/orders.ts', 45, 9, 'createOrder')],
    ['    at /srv/app/src/orders.ts:45:9', frame('/srv/app/src/orders.ts', 45, 9, null)],
    ['    at async handle (/srv/app/a.js:3:7)', frame('/srv/app/a.js', 3, 7, 'handle')],
    ['    at new OrderService (/srv/app/a.js:3:7)', frame('/srv/app/a.js', 3, 7, 'new OrderService')],
    ['    at Object.<anonymous> (/srv/app/a.js:1:1)', frame('/srv/app/a.js', 1, 1, null)],
    ['    at Router.dispatch [as handle] (/srv/app/a.js:2:3)', frame('/srv/app/a.js', 2, 3, 'Router.dispatch')],
    ['    at file:///srv/my%20app/a.mjs:4:5', frame('/srv/my app/a.mjs', 4, 5, null)],
    ['    at run (file:///C:/app/src/a.js:4:5)', frame('C:\\app\\src\\a.js', 4, 5, 'run')],
    ['    at run (C:\\app\\src\\a.js:4:5)', frame('C:\\app\\src\\a.js', 4, 5, 'run')],
    ['    at eval (eval at compile (/srv/app/a.js:10:2), <anonymous>:1:1)', frame('/srv/app/a.js', 10, 2, 'eval')],
    ['    at /srv/app (v2)/a.js:1:2', frame('/srv/app (v2)/a.js', 1, 2, null)],
  ])('parses %s', (line, expected) => {
    expect(parseStackLine(line)).toEqual(expected);
  });

  it.each([
    'Error: boom',
    '    at Array.map (<anonymous>)',
    '    at new Promise (<anonymous>)',
    '    at async Promise.all (index 0)',
    '    at native',
    '',
    'garbage :1:2',
  ])('returns null for %j', (line) => {
    expect(parseStackLine(line)).toBeNull();
  });
});

/** Formats a trace of this file while a tool (tsx, source-map-support) formats stacks as `text`. */
function formatAs(text: string, cwd: string): FormattedStack {
  const previous = Error.prepareStackTrace;
  try {
    Error.prepareStackTrace = () => text;
    return format(handleRequest(), { cwd });
  } finally {
    Error.prepareStackTrace = previous;
  }
}

describe("formatTrace() with the environment's stack formatter", () => {
  it('keeps the application frames of what the tool wrote (its mapped positions), relative to cwd', () => {
    const text = [
      'Error',
      `    at wrapped (${serverLibSrc}/bullmq/wrap-enqueue.ts:10:3)`,
      '    at Queue.add (/srv/app/node_modules/bullmq/dist/esm/classes/queue.js:1:1)',
      '    at sendReceipts (/srv/app/src/routes/orders.ts:45:9)',
      '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
      '    at async dispatch (C:\\app\\node_modules\\koa-compose\\index.js:42:32)',
      '    at async createOrder (/srv/app/src/routes/orders.ts:12:3)',
      '    at /elsewhere/lib.js:1:1',
    ].join('\n');
    expect(formatAs(text, '/srv/app')).toEqual({
      origin: { file: 'src/routes/orders.ts', line: 45, column: 9, function: 'sendReceipts' },
      stack: [
        { file: 'src/routes/orders.ts', line: 45, column: 9, function: 'sendReceipts' },
        { file: 'src/routes/orders.ts', line: 12, column: 3, function: 'createOrder' },
        { file: '/elsewhere/lib.js', line: 1, column: 1, function: null },
      ],
    });
  });

  it('makes Windows paths relative to a Windows cwd', () => {
    expect(formatAs('    at run (C:\\app\\src\\a.js:4:5)', 'C:\\app').origin?.file).toBe('src/a.js');
  });

  it('shows no frames for an empty or odd stack', () => {
    expect(formatAs('', testRoot)).toEqual({ origin: null, stack: [] });
    expect(formatAs('TypeError: x\n    at <anonymous>', testRoot)).toEqual({ origin: null, stack: [] });
  });
});
