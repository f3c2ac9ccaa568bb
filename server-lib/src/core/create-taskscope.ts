import { instrumentInstalledBullMQ } from '../bullmq/instrument.js';
import { createJobStatusReader } from '../bullmq/job-status.js';
import { createDebugApi, type DebugApi } from '../api/debug-api.js';
import { resolveOptions, type ResolvedOptions, type TaskscopeOptions } from './options.js';
import { RequestRecording } from './request-recording.js';
import { createRuntime } from './runtime.js';
import type { Store } from '../store/store.js';
import type { TrackingHeaders } from './tracking-headers.js';
import { startWsRecording } from '../ws/index.js';
import { enableJobRuns } from '../worker/enable-job-runs.js';

export type { TrackingHeaders } from './tracking-headers.js';

/** A tracked request: run the app's handler inside it, then finish it before responding. */
export interface TrackedRequest {
  readonly id: string;
  /** Runs `fn` in the request's scope, so the jobs it enqueues are recorded. */
  run<T>(fn: () => T): T;
  /** Stores the record (awaited, so the id can be fetched once the response is out) and returns the headers to send. */
  finish(status: number): Promise<TrackingHeaders>;
  /**
   * {@link finish}, handing the headers back at once when the record is already stored (the
   * default MemoryStore stores it before returning): what adapters call, one promise less on
   * every response. A promise when the store is a shared one (a bounded wait, as for `finish`).
   */
  end(status: number): TrackingHeaders | Promise<TrackingHeaders>;
  /** True when {@link end} hands the headers back at once (the store saves before it returns). */
  readonly endsAtOnce: boolean;
  /**
   * Corrects the recorded status to what went on the wire, when the framework changed it after
   * `finish` (an error handler mapping the error to another status). Saves again if it changed.
   */
  setStatus(status: number): void;
}

/** The framework-neutral core that adapters (Koa today) are thin layers over. */
export interface Taskscope {
  readonly enabled: boolean;
  readonly options: ResolvedOptions;
  /** `undefined` when disabled. */
  readonly store: Store | undefined;
  /** `undefined` when disabled: no routes are served. */
  readonly api: DebugApi | undefined;
  /** Starts tracking one HTTP request; `undefined` when disabled. */
  track(method: string, url: string): TrackedRequest | undefined;
  /** Releases the connections Taskscope opened itself (not the app's, not a store you passed). */
  close(): Promise<void>;
}

/**
 * Creates the core: options checked, BullMQ instrumented, store and debug API ready.
 * Framework adapters call `track` per request and route `api` requests.
 *
 * @example
 * ```ts
 * const core = createTaskscope({ nPlusOneThreshold: 5 });
 * const tracked = core.track('GET', '/orders');
 * await tracked?.run(() => handler());
 * const headers = await tracked?.finish(200);
 * ```
 */
export function createTaskscope(options?: TaskscopeOptions): Taskscope {
  const resolved = resolveOptions(options);
  if (!resolved.enabled) {
    return { enabled: false, options: resolved, store: undefined, api: undefined, track: () => undefined, close: async () => {} };
  }
  const runtime = createRuntime(resolved);
  if (resolved.bullmq.instrument) instrumentInstalledBullMQ();
  const statusReader = createJobStatusReader({
    ...(resolved.bullmq.connection ? { connection: resolved.bullmq.connection } : {}),
    serialize: runtime.serialize,
  });
  const ws = resolved.ws.instrument ? startWsRecording(runtime, resolved.ws) : undefined;
  const api = createDebugApi(runtime, statusReader, ws?.tracker);
  // Job runs (issue 11): Workers in this process record what each job of a tracked request did.
  const stopJobRuns = resolved.bullmq.instrument && resolved.bullmq.runs ? enableJobRuns(runtime) : undefined;

  return {
    enabled: true,
    options: resolved,
    store: runtime.store,
    api,
    track: (method, url) => new RequestRecording(runtime, method, url),
    async close() {
      await ws?.close();
      stopJobRuns?.();
      await statusReader.close();
      if (!resolved.store) await runtime.store.close?.();
    },
  };
}
