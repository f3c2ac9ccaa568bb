import path from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { deferStack, type DeferredStack } from '../../server-lib/src/core/deferred-stack.js';
import { captureTrace } from '../../server-lib/src/core/stack.js';

const thisFile = fileURLToPath(import.meta.url);
const options = { maxFrames: 6, cwd: path.resolve(path.dirname(thisFile), '..') };
const source = readFileSync(thisFile, 'utf8').split('\n');
const lineOf = (marker: string) => source.findIndex((line) => line.includes(marker) && !line.includes('lineOf(')) + 1;

function enqueue(): DeferredStack {
  return deferStack(captureTrace(options.maxFrames, enqueue), options);
}

function placeOrder(): DeferredStack {
  return enqueue(); // call: placeOrder
}

function holderOf(site: DeferredStack): unknown {
  return (site as unknown as { holder: unknown }).holder;
}

describe('deferStack()', () => {
  it('gives the call site when asked before the event loop turns', () => {
    const site = placeOrder();
    expect(site.formatted.origin).toEqual({ file: 'unit/deferred-stack.test.ts', line: lineOf('// call: placeOrder'), column: expect.any(Number), function: 'placeOrder' });
  });

  it('reads the trace within a few milliseconds and lets go of V8\'s frames', async () => {
    const site = placeOrder();
    expect(holderOf(site)).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(holderOf(site)).toBeUndefined();
    expect(site.formatted.origin?.function).toBe('placeOrder');
  });

  it('gives the same frozen result for the same line of code, read at once or later', async () => {
    const [now, later] = [0, 1].map(() => placeOrder());
    const first = now!.formatted;
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(later!.formatted).toBe(first);
    expect(Object.isFrozen(first.stack)).toBe(true);
  });

  it('holds at most 256 traces waiting, however many enqueues a loop makes without yielding', () => {
    const sites = Array.from({ length: 600 }, () => placeOrder());
    expect(sites.filter((site) => holderOf(site) !== undefined).length).toBeLessThanOrEqual(256);
  });

  it('takes a trace the instrumentation captured itself', () => {
    const site = deferStack(traceFromHere(), options);
    expect(site.formatted.origin?.function).toBe('traceFromHere');
  });
});

function traceFromHere() {
  return captureTrace(6, captureTrace);
}
