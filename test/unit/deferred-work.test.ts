import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { deferWork, runDeferredWork } from '../../server-lib/src/core/deferred-work.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('deferWork()', () => {
  it('runs the calls in the order they came, about a millisecond later, with their two arguments', async () => {
    const seen: string[] = [];
    const note = (a: string, b: number) => seen.push(`${a}${b}`);
    deferWork(note, 'a', 1);
    deferWork(note, 'b', 2);
    expect(seen).toEqual([]);
    await sleep(20);
    expect(seen).toEqual(['a1', 'b2']);
  });

  it('runs what waits at once where results are read (runDeferredWork)', () => {
    const seen: number[] = [];
    deferWork((n: number) => seen.push(n), 7, undefined);
    runDeferredWork();
    expect(seen).toEqual([7]);
  });

  it('keeps going across batches, and starts again after it went idle', async () => {
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      deferWork((n: number) => seen.push(n), i, undefined);
      await sleep(3);
    }
    await sleep(40); // idle long enough for the timer to stop
    deferWork((n: number) => seen.push(n), 99, undefined);
    await sleep(20);
    expect(seen).toEqual([0, 1, 2, 3, 4, 99]);
  });

  it("keeps no request's async context alive: its timer runs outside the request that queued work first", async () => {
    await sleep(40); // the timer of earlier tests has stopped
    const requests = new AsyncLocalStorage<string>();
    let seenIn: string | undefined = 'not run';
    requests.run('request 1', () => deferWork(() => { seenIn = requests.getStore(); }, undefined, undefined));
    await sleep(20);
    expect(seenIn).toBeUndefined();
  });

  it('runs at once past 256 waiting calls, so a loop that never yields holds few', () => {
    const seen: number[] = [];
    for (let i = 0; i < 256; i++) deferWork((n: number) => seen.push(n), i, undefined);
    expect(seen.length).toBe(256);
  });
});
