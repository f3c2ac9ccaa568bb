import { performance } from 'node:perf_hooks';

/** Something to close once its late window is over; `early` when the bound closed it first. */
export interface Closable {
  release(early?: boolean): void;
}

const SWEEP_MS = 1_000;

/**
 * Late windows open at once, at most, per Taskscope instance. The MemoryStore keeps 1,000
 * records by default, so what the open windows hold is what the store holds anyway: the
 * newest requests.
 */
export const MAX_OPEN_WINDOWS = 1_000;
/** JSON size of the records whose windows are open, at most (a few very large records close first). */
export const MAX_OPEN_BYTES = 16 * 1024 * 1024;
/**
 * Job runs' late windows open at once, at most. They are held weakly (a finished run's recording
 * is written to the run store at once; only a context still holding it needs letting go), so
 * many cost little: 10,000 is 30 s of 333 jobs/s.
 */
export const MAX_OPEN_RUN_WINDOWS = 10_000;

/** The open late windows of one Taskscope instance. */
export interface LateWindows {
  /** Opens a window for `item` until `untilPerf` (`performance.now()` time); `bytes`: what it holds. */
  add(item: Closable, untilPerf: number, bytes?: number): void;
  size(): number;
  stop(): void;
}

/**
 * Closes late windows with one shared, unref'd timer rather than a timer per request. Windows
 * are the same length for every request of an instance, so they close in the order they
 * opened: a ring, oldest first. It holds the open windows' recordings, which is what lets a
 * request's async context (a timer, a socket the app opened inside it) go of the recording once
 * its window closes. Bounded by count and by size: past either bound the oldest window closes
 * early (`release(true)`: its record's `lateUntil` then says when), so a burst of requests
 * holds no more than the newest {@link MAX_OPEN_WINDOWS} — no reference per request for the GC
 * to track, nothing growing with the request rate. `weak` holds the items through WeakRefs
 * instead (job runs, whose recordings are in the run store already).
 *
 * @example
 * ```ts
 * const windows = createLateWindows();
 * windows.add(recording, performance.now() + 30_000, 2_048);
 * ```
 */
export function createLateWindows(capacity = MAX_OPEN_WINDOWS, maxBytes = MAX_OPEN_BYTES, options: { weak?: boolean } = {}): LateWindows {
  const weak = options.weak === true;
  let items: Array<Closable | WeakRef<Closable> | undefined> = new Array(capacity);
  let untils = new Float64Array(capacity);
  let sizes = new Float64Array(capacity);
  let head = 0;
  let count = 0;
  let bytes = 0;
  let timer: NodeJS.Timeout | undefined;

  function closeOldest(early: boolean): void {
    const held = items[head];
    const item = weak ? (held as WeakRef<Closable> | undefined)?.deref() : (held as Closable | undefined);
    items[head] = undefined;
    bytes -= sizes[head]!;
    head = head + 1 === capacity ? 0 : head + 1;
    count -= 1;
    item?.release(early);
  }

  function sweep(): void {
    const now = performance.now();
    while (count > 0 && untils[head]! <= now) closeOldest(false);
    if (count === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  }

  return {
    add(item, until, size = 0) {
      while (count > 0 && (count === capacity || bytes + size > maxBytes)) closeOldest(true);
      const slot = (head + count) % capacity;
      items[slot] = weak ? new WeakRef(item) : item;
      untils[slot] = until;
      sizes[slot] = size;
      count += 1;
      bytes += size;
      if (timer === undefined) {
        timer = setInterval(sweep, SWEEP_MS);
        timer.unref();
      }
    },
    size: () => count,
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      items = new Array(capacity);
      untils = new Float64Array(capacity);
      sizes = new Float64Array(capacity);
      head = 0;
      count = 0;
      bytes = 0;
    },
  };
}
