import * as bullmq from 'bullmq';
import { createTaskscope, MemoryStore } from 'taskscope';
import { settledHeap } from './memory-heap.js';

/** Workloads whose app-side objects are big or long-lived (issue 8: memory pinned by tracking). */
export const RETENTION_SCENARIOS = ['big-strings', 'timers', 'closures'] as const;
export type RetentionScenario = (typeof RETENTION_SCENARIOS)[number];

/** What one scenario measured, in bytes. */
export interface RetentionResult {
  scenario: RetentionScenario;
  requests: number;
  /** Heap the same workload keeps alive outside any request: the app's own share. */
  appBytes: number;
  /** Heap kept by the tracked workload while its requests are still open, less `appBytes`. */
  openBytes: number;
  /** Heap kept by the tracked workload once finished and past the late window, less `appBytes`. */
  doneBytes: number;
  /** What the MemoryStore counts for its records (`stats.bytes`) at the end. */
  storeBytes: number;
  storeRecords: number;
}

const LATE_GRACE_MS = 300;
const MB = 1024 * 1024;

/**
 * One request's work in a scenario: enqueues through the app's own objects and leaves behind
 * what a real app would (a pending timer), returning nothing the caller keeps.
 */
type Work = (queue: bullmq.Queue, i: number, timers: NodeJS.Timeout[]) => Promise<void>;

const WORKLOADS: Record<RetentionScenario, { requests: number; work: Work }> = {
  // Job data with a 1.5 MB string: BullMQ sends it to Redis and lets go of it; so must we.
  'big-strings': {
    requests: 30,
    work: async (queue, i) => {
      const file = String(i).padEnd(1.5 * MB, 'x');
      await queue.add('import-file', { name: `upload-${i}.csv`, file });
    },
  },
  // A 10-minute timer set while handling the request holds the request's async context; the
  // recording must not stay alive through it once its late window closed.
  timers: {
    requests: 400,
    work: async (queue, i, timers) => {
      await queue.add('send-email', { to: `customer-${i}@example.com` });
      await queue.add('track', { event: 'order', orderId: i });
      timers.push(setTimeout(() => {}, 600_000));
    },
  },
  // A closure over 5 MB enqueues, called from a method of an object holding the same 5 MB:
  // the call site must keep neither the closure nor the receiver alive.
  closures: {
    requests: 20,
    work: async (queue, i) => {
      const blob = String(i).padEnd(5 * MB, 'c');
      const renderer = {
        blob,
        enqueue: () => queue.add('render', { bytes: blob.length }),
        run() {
          return this.enqueue();
        },
      };
      await renderer.run();
    },
  },
};

/**
 * Runs one scenario: first untracked (the app's own retained heap), then the same workload in
 * tracked requests, all open at once; takes the heap while they are open (the app has let go of
 * its objects by then), then finishes them, waits past the late window and takes it again.
 */
export async function runRetention(scenario: RetentionScenario, connection: bullmq.ConnectionOptions): Promise<RetentionResult> {
  const { requests, work } = WORKLOADS[scenario];
  const queue = new bullmq.Queue(`bench-retention-${process.pid}`, { connection });
  await queue.waitUntilReady();
  const store = new MemoryStore();
  const core = createTaskscope({ enabled: true, store, limits: { lateGraceMs: LATE_GRACE_MS } });
  const timers: NodeJS.Timeout[] = [];
  try {
    // Warm-up: the app's code paths and connections, and Taskscope's own (a request tracked and
    // finished): code compiled on first use is not something a request keeps alive.
    await work(queue, -1, timers);
    const first = core.track('POST', '/warm-up')!;
    await first.run(() => work(queue, -2, timers));
    await first.finish(201);
    await new Promise((resolve) => setTimeout(resolve, LATE_GRACE_MS * 3));
    const before = await settledHeap();
    for (let i = 0; i < requests; i++) await work(queue, i, timers);
    const appBytes = (await settledHeap()) - before;

    let open!: () => void;
    const gate = new Promise<void>((resolve) => { open = resolve; });
    let ready = 0;
    const tracked = Array.from({ length: requests }, (_, i) => core.track('POST', `/work/${i}`)!);
    // One after the other, as a server takes them, then all waiting to finish at once.
    const running: Promise<void>[] = [];
    for (const [i, request] of tracked.entries()) {
      let done!: () => void;
      const worked = new Promise<void>((resolve) => { done = resolve; });
      running.push(request.run(async () => {
        await work(queue, requests + i, timers);
        ready++;
        done();
        await gate;
      }));
      await worked;
    }
    if (ready !== requests) throw new Error('not every request did its work');
    const openBytes = (await settledHeap()) - before - appBytes;
    open();
    await Promise.all(running);
    for (const request of tracked) await request.finish(201);
    await new Promise((resolve) => setTimeout(resolve, LATE_GRACE_MS * 3));
    const doneBytes = (await settledHeap()) - before - appBytes;
    return { scenario, requests, appBytes, openBytes, doneBytes, storeBytes: store.stats.bytes, storeRecords: store.stats.records };
  } finally {
    for (const timer of timers) clearTimeout(timer);
    await core.close();
    await queue.obliterate({ force: true });
    await queue.close();
  }
}
