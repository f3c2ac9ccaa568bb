import { performance } from 'node:perf_hooks';

/** How long one reading of the wall clock anchors the conversion. */
const ANCHOR_MS = 1_000;
let anchorPerf = Number.NEGATIVE_INFINITY;
let offset = 0;

/**
 * The epoch ms (as `Date.now()` would say) of a `performance.now()` reading already taken, so a
 * received message, whose listeners are timed anyway, needs no second clock read on the hot
 * path. The wall clock is read again at most once a second, so the result follows its
 * adjustments; it is `Date.now()` at that moment or at most 1 ms earlier, never later.
 *
 * @example
 * ```ts
 * const started = performance.now();
 * const at = epochOf(started); // ≈ Date.now()
 * ```
 */
export function epochOf(perfNow: number): number {
  if (perfNow - anchorPerf > ANCHOR_MS || perfNow < anchorPerf) {
    anchorPerf = performance.now();
    // Date.now() truncates, so this offset is at most the true one: results never run ahead.
    offset = Date.now() - anchorPerf;
  }
  return Math.floor(offset + perfNow);
}
