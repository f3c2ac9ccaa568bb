import type { TaskscopeRuntime } from '../core/runtime.js';
import { instrumentInstalledWs, registerWsTracker } from './instrument.js';
import type { ResolvedWsOptions } from './options.js';
import { WsTracker } from './tracker.js';

export { instrumentWs } from './instrument.js';
export type { WsModule } from './instrument.js';
export { resolveWsOptions, DEFAULT_WS_OPTIONS } from './options.js';
export type { WsOptions, ResolvedWsOptions } from './options.js';
export { WsTracker } from './tracker.js';

/** The WebSocket recording of one Taskscope instance. */
export interface WsRecording {
  readonly tracker: WsTracker;
  /** Stops recording new connections, writes what is pending and undoes this instance's patches. */
  close(): Promise<void>;
}

/**
 * Instruments the installed `ws` and starts recording its connections into a new tracker.
 *
 * @example
 * ```ts
 * const ws = startWsRecording(runtime, resolveWsOptions({ maxMessages: 200 }));
 * // …
 * await ws.close();
 * ```
 */
export function startWsRecording(runtime: TaskscopeRuntime, options: ResolvedWsOptions): WsRecording {
  const tracker = new WsTracker(runtime, options);
  const undoPatch = instrumentInstalledWs();
  const unregister = registerWsTracker(tracker);
  return {
    tracker,
    async close() {
      unregister();
      undoPatch();
      await tracker.close();
    },
  };
}
