import { AsyncLocalStorage } from 'node:async_hooks';
import type { TaskVia } from '../protocol.js';

/** A stack V8 captured (`captureTrace` in stack.ts), not read yet. */
export interface CapturedTrace {
  stack?: unknown;
}

/** One job about to be enqueued, as the BullMQ instrumentation saw the call. */
export interface EnqueueSpec {
  via: TaskVia;
  queue: string;
  /** BullMQ's key prefix of the queue (`bull` unless the app set one). */
  prefix: string;
  name: string;
  /**
   * The app's data and options, held only while the call runs: to match the jobs BullMQ builds
   * (by identity, never read), and read only when BullMQ serialises nothing Taskscope can see.
   */
  data: unknown;
  opts: unknown;
  /** Flow children: their parent node's queue (its job id is only known once the flow is added). */
  parent?: { queue: string; jobId: string | null } | null;
  schedulerId?: string | null;
  /** The Queue instance used, so job status can later be read through its connection. */
  source?: object;
}

/** A job as BullMQ built it for Redis during an enqueue call (`Job#asJSON`). */
export interface BuiltJob {
  /** BullMQ's Job object; read at once, never kept. */
  job: { name?: unknown; queueName?: unknown; data?: unknown; opts?: unknown; id?: unknown; delay?: unknown; timestamp?: unknown };
  /** The data exactly as BullMQ stores it and a worker receives it: BullMQ's own `JSON.stringify`. */
  json: string;
}

/** What became of one enqueued job, in the same order as the specs given to `begin`. */
export interface EnqueuedJob {
  jobId: string | null;
  /** The job's `timestamp` as BullMQ created it, used to tell a returned older job from a new one. */
  timestamp?: number;
  /** Set when the instrumentation already knows the add returned an existing job. */
  duplicate?: boolean;
  /** A delay only known from the result (a job scheduler's next iteration). */
  delayMs?: number;
  /** Flow children learn their parent's id only from the result. */
  parentJobId?: string | null;
}

/**
 * One enqueue call in flight. While BullMQ's own method runs it is the scope's recorder, so the
 * jobs BullMQ builds reach it (`built`) and an enqueue method called from inside another is not
 * recorded twice (`inside`).
 */
export interface PendingEnqueue extends EnqueueRecorder {
  readonly inside: true;
  /** Set by a hook inside BullMQ that will settle this call from a promise BullMQ awaits. */
  entered: boolean;
  /** BullMQ built one of the call's jobs. */
  built(job: BuiltJob): void;
  /** Settles the call; the first call wins. May come a moment after the result did (deferred-work.ts). */
  settle(outcome: { jobs: EnqueuedJob[] } | { error: unknown }): void;
}

/** Records the enqueues of one request. Implemented by the core; called by instrumentation. */
export interface EnqueueRecorder {
  readonly inside?: boolean;
  /**
   * How many frames the instrumentation captures, first thing in its wrapper (the fewer frames V8
   * walks above the call, the cheaper the capture); 0 or absent: no stack.
   */
  readonly captureFrames?: number;
  /**
   * Called synchronously when an enqueue call starts; must be cheap and must never throw.
   * `trace` is the stack the instrumentation captured when `captureFrames` asked for one.
   */
  begin(specs: EnqueueSpec[], trace?: CapturedTrace): PendingEnqueue;
}

const STORAGE_KEY = Symbol.for('taskscope.request-scope');

// One storage per process, even when two copies of taskscope are loaded (a bundled one and
// a linked one), so instrumentation installed by one copy sees requests scoped by the other.
const globals = globalThis as { [STORAGE_KEY]?: AsyncLocalStorage<EnqueueRecorder> };
const storage: AsyncLocalStorage<EnqueueRecorder> = (globals[STORAGE_KEY] ??= new AsyncLocalStorage());

/**
 * Runs `fn` with `recorder` as the current request's recorder. Every async continuation
 * started inside `fn` (including fire-and-forget work after the response) keeps it.
 *
 * @example
 * ```ts
 * await runInRequestScope(recording, () => next());
 * ```
 */
export function runInRequestScope<T>(recorder: EnqueueRecorder, fn: () => T): T {
  return storage.run(recorder, fn);
}

/**
 * Calls `fn` on `self` with `args` with `recorder` as the scope's recorder, allocating no closure
 * (it runs on every enqueue).
 *
 * @example
 * ```ts
 * const result = applyInScope(pending, original, queue, ['send', data]);
 * ```
 */
export function applyInScope(recorder: EnqueueRecorder, fn: Function, self: unknown, args: unknown[]): unknown {
  return storage.run(recorder, Reflect.apply, fn, self, args);
}

/**
 * The recorder of the request whose async context is running, or `undefined` outside any
 * tracked request (workers, start-up code, timers started before any request).
 *
 * @example
 * ```ts
 * const pending = currentRecorder()?.begin([spec]);
 * ```
 */
export function currentRecorder(): EnqueueRecorder | undefined {
  return storage.getStore();
}

/**
 * The enqueue call in flight in this async context, if any (for hooks inside BullMQ's methods).
 *
 * @example
 * ```ts
 * currentEnqueue()?.built({ job, json: stored.data });
 * ```
 */
export function currentEnqueue(): PendingEnqueue | undefined {
  const store = storage.getStore();
  return store?.inside === true ? (store as PendingEnqueue) : undefined;
}
