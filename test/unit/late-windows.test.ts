import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { createLateWindows } from '../../server-lib/src/core/late-windows.js';

/** A window's owner that notes how it was closed. */
function owner(name: string, closed: string[]) {
  return { release: (early?: boolean) => { closed.push(`${name}${early ? ' early' : ''}`); } };
}

describe('createLateWindows()', () => {
  it('holds no more windows than its capacity: the oldest closes early for a new one', () => {
    const closed: string[] = [];
    const windows = createLateWindows(2, 1_000_000);
    const until = performance.now() + 60_000;
    windows.add(owner('a', closed), until);
    windows.add(owner('b', closed), until);
    expect(closed).toEqual([]);
    windows.add(owner('c', closed), until);
    windows.add(owner('d', closed), until);
    expect(closed).toEqual(['a early', 'b early']);
    expect(windows.size()).toBe(2);
    windows.stop();
  });

  it('holds no more than its byte budget: the oldest close early until the new one fits', () => {
    const closed: string[] = [];
    const windows = createLateWindows(100, 10_000);
    const until = performance.now() + 60_000;
    windows.add(owner('small', closed), until, 2_000);
    windows.add(owner('medium', closed), until, 6_000);
    windows.add(owner('large', closed), until, 7_000);
    expect(closed).toEqual(['small early', 'medium early']);
    expect(windows.size()).toBe(1);
    windows.stop();
  });

  it('closes windows whose time is up with its shared timer, oldest first, not early', async () => {
    const closed: string[] = [];
    const windows = createLateWindows(10, 1_000_000);
    windows.add(owner('soon', closed), performance.now() + 5);
    windows.add(owner('later', closed), performance.now() + 60_000);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(closed).toEqual(['soon']);
    expect(windows.size()).toBe(1);
    windows.stop();
  });

  it('holds job runs\' windows weakly, and still closes the ones alive, early past its capacity', () => {
    const closed: string[] = [];
    const windows = createLateWindows(1, Number.POSITIVE_INFINITY, { weak: true });
    const first = owner('run 1', closed);
    windows.add(first, performance.now() + 60_000);
    windows.add(owner('run 2', closed), performance.now() + 60_000);
    expect(closed).toEqual(['run 1 early']);
    windows.stop();
  });
});
