import { performance } from 'node:perf_hooks';

/** Something to close once its late window is over. */
export interface Closable {
  release(): void;
}

const SWEEP_MS = 1_000;

/**
 * Closes requests' late windows with one shared, unref'd timer rather than a timer per request.
 * Windows are the same length for every request of a Taskscope instance, so they close in the
 * order they opened: a queue with a moving head.
 *
 * @example
 * ```ts
 * const windows = createLateWindows();
 * windows.add(recording.scope, performance.now() + 30_000);
 * ```
 */
export function createLateWindows(): { add(item: Closable, untilPerf: number): void; size(): number; stop(): void } {
  // Weakly: a request whose async context nothing holds any more has nothing to let go of, and
  // the list must not be what keeps its recording (and its data) alive for the window's length.
  let items: Array<{ item: WeakRef<Closable>; until: number }> = [];
  let head = 0;
  let timer: NodeJS.Timeout | undefined;

  function sweep(): void {
    const now = performance.now();
    while (head < items.length && items[head]!.until <= now) {
      items[head]!.item.deref()?.release();
      head += 1;
    }
    if (head > 1024 && head * 2 > items.length) {
      items = items.slice(head);
      head = 0;
    }
    if (head >= items.length) {
      items = [];
      head = 0;
      if (timer) clearInterval(timer);
      timer = undefined;
    }
  }

  return {
    add(item, until) {
      items.push({ item: new WeakRef(item), until });
      if (timer === undefined) {
        timer = setInterval(sweep, SWEEP_MS);
        timer.unref();
      }
    },
    size: () => items.length - head,
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      items = [];
      head = 0;
    },
  };
}
