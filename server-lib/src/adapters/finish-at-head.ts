import type { ServerResponse } from 'node:http';
import type { TrackedRequest } from '../core/create-taskscope.js';
import { setTrackingHeaders } from './shared.js';

/**
 * Finishes `tracked` when the response's head is about to go out, and sets the three headers on
 * it: for a store that saves at once (the MemoryStore), where nothing needs holding. One wrapper
 * on this response's `writeHead`, which every way of answering goes through (`end`, `write` and
 * `flushHeaders` call it for an implicit head; `res.send`, `sendFile`, `pipe`, the error handler
 * and finalhandler end in those). Put back by assignment once called — never `delete`, which
 * would turn the response into a slow dictionary object for the rest of its life — unless a
 * later middleware wrapped it in turn (compression, on-headers): then ours passes calls through.
 *
 * @example
 * ```ts
 * if (tracked.endsAtOnce) finishAtHead(res, tracked);
 * tracked.run(next);
 * ```
 */
export function finishAtHead(res: ServerResponse, tracked: TrackedRequest): void {
  const writeHead = res.writeHead;
  // Assigned to properties, never to a name: a named function made per response costs a
  // `name` definition each time under loaders that keep names (tsx, esbuild's keepNames).
  const state: { done: boolean; wrapper?: unknown } = { done: false };
  state.wrapper = res.writeHead = function (this: ServerResponse, ...args: unknown[]): ServerResponse {
    if (!state.done) {
      state.done = true;
      if (res.writeHead === state.wrapper) res.writeHead = writeHead;
      const status = typeof args[0] === 'number' ? args[0] : this.statusCode;
      const headers = tracked.end(status);
      if (!(headers instanceof Promise) && !this.headersSent) {
        setTrackingHeaders(this, headers);
      }
    }
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as typeof res.writeHead;
}
