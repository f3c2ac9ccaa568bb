import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runInRequestScope, type EnqueueRecorder } from '../../server-lib/src/core/scope.js';
import { captureCallSite, formatCallSite, formatStack, parseStackLine, type CallSite } from '../../server-lib/src/core/stack.js';

const thisFile = fileURLToPath(import.meta.url);
const testRoot = path.resolve(path.dirname(thisFile), '..');
const serverLibSrc = path.resolve(testRoot, '../server-lib/src');
const source = readFileSync(thisFile, 'utf8').split('\n');

/** 1-based line of this file holding `marker`, so the assertions survive edits above it. */
function lineOf(marker: string): number {
  return source.findIndex((line) => line.includes(marker) && !line.includes('lineOf(')) + 1;
}

function createOrder(): CallSite {
  return captureCallSite(); // capture: createOrder
}

function handleRequest(): CallSite {
  return createOrder(); // call: handleRequest
}

async function tick(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

async function enqueueAfterAwaits(): Promise<CallSite> {
  await tick();
  await tick();
  return captureCallSite(); // capture: enqueueAfterAwaits
}

async function routeHandler(): Promise<CallSite> {
  await tick();
  return await enqueueAfterAwaits(); // call: routeHandler
}

describe('captureCallSite() and formatCallSite()', () => {
  it('points origin at the line that captured, then its callers', () => {
    const { origin, stack } = formatCallSite(handleRequest(), { cwd: testRoot });
    expect(origin).toEqual({ file: 'unit/stack.test.ts', line: lineOf('// capture: createOrder'), column: expect.any(Number), function: 'createOrder' });
    expect(stack[1]).toMatchObject({ file: 'unit/stack.test.ts', line: lineOf('// call: handleRequest'), function: 'handleRequest' });
  });

  it('follows awaits: the caller of an async function shows up after its awaits resolved', async () => {
    const { origin, stack } = formatCallSite(await routeHandler(), { cwd: testRoot });
    expect(origin).toMatchObject({ file: 'unit/stack.test.ts', line: lineOf('// capture: enqueueAfterAwaits'), function: 'enqueueAfterAwaits' });
    expect(stack[1]).toMatchObject({ file: 'unit/stack.test.ts', line: lineOf('// call: routeHandler'), function: 'routeHandler' });
  });

  it('leaves out frames of node_modules and Node internals', () => {
    let site: CallSite | undefined;
    fc.assert(fc.property(fc.constant(1), () => {
      site = captureCallSite(50); // capture: inside fast-check
    }), { numRuns: 1 });
    const { origin, stack } = formatCallSite(site!, { cwd: testRoot, maxFrames: 50 });
    expect(origin).toMatchObject({ line: lineOf('// capture: inside fast-check') });
    expect(stack.length).toBeGreaterThan(0);
    for (const frame of stack) {
      expect(frame.file).not.toContain('node_modules');
      expect(frame.file).not.toMatch(/^(node:|internal\/)/);
    }
  });

  it("leaves out taskscope's own files", () => {
    const recorder = { begin: () => ({ settle() {} }) } as unknown as EnqueueRecorder;
    const site = runInRequestScope(recorder, () => captureCallSite(50)); // capture: through scope.ts
    const { origin, stack } = formatCallSite(site, { cwd: testRoot, maxFrames: 50 });
    expect(origin).toMatchObject({ file: 'unit/stack.test.ts', line: lineOf('// capture: through scope.ts') });
    expect(stack.some((frame) => frame.file.includes('server-lib'))).toBe(false);
  });

  it('keeps absolute paths outside cwd, limits frames, and caches per site', () => {
    const site = handleRequest();
    const elsewhere = formatCallSite(site, { cwd: '/nowhere', maxFrames: 1 });
    expect(elsewhere.stack).toHaveLength(1);
    expect(elsewhere.origin?.file).toBe(thisFile);
    expect(formatCallSite(site, { cwd: '/nowhere', maxFrames: 1 })).toBe(elsewhere);
    expect(formatCallSite(site, { cwd: testRoot }).origin?.file).toBe('unit/stack.test.ts');
  });

  it("works when the app installed its own Error.prepareStackTrace", () => {
    const previous = Error.prepareStackTrace;
    try {
      Error.prepareStackTrace = (_error, sites) => sites;
      expect(formatCallSite(handleRequest(), { cwd: testRoot }).origin).toMatchObject({ function: 'createOrder' });
      Error.prepareStackTrace = () => 'no frames here';
      expect(formatCallSite(handleRequest(), { cwd: testRoot })).toEqual({ origin: null, stack: [] });
      Error.prepareStackTrace = () => { throw new Error('broken tool'); };
      expect(formatCallSite(handleRequest(), { cwd: testRoot })).toEqual({ origin: null, stack: [] });
    } finally {
      Error.prepareStackTrace = previous;
    }
  });

  it('restores Error.stackTraceLimit', () => {
    const limit = Error.stackTraceLimit;
    captureCallSite(99);
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

describe('formatStack()', () => {
  it('keeps application frames of a literal stack, relative to cwd', () => {
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
    expect(formatStack(text, { cwd: '/srv/app' })).toEqual({
      origin: { file: 'src/routes/orders.ts', line: 45, column: 9, function: 'sendReceipts' },
      stack: [
        { file: 'src/routes/orders.ts', line: 45, column: 9, function: 'sendReceipts' },
        { file: 'src/routes/orders.ts', line: 12, column: 3, function: 'createOrder' },
        { file: '/elsewhere/lib.js', line: 1, column: 1, function: null },
      ],
    });
  });

  it('makes Windows paths relative to a Windows cwd', () => {
    expect(formatStack('    at run (C:\\app\\src\\a.js:4:5)', { cwd: 'C:\\app' }).origin?.file).toBe('src/a.js');
  });

  it('returns no frames for an empty or odd stack', () => {
    expect(formatStack('')).toEqual({ origin: null, stack: [] });
    expect(formatStack('TypeError: x\n    at <anonymous>')).toEqual({ origin: null, stack: [] });
  });
});
