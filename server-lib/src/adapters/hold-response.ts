import type { ServerResponse } from 'node:http';
import type { TrackedRequest } from '../core/create-taskscope.js';
import { setTrackingHeaders } from './shared.js';

type Held = 'writeHead' | 'flushHeaders' | 'write' | 'end';
const HELD: readonly Held[] = ['writeHead', 'flushHeaders', 'write', 'end'];

/**
 * Finishes `tracked` when the response's head is about to go out, and holds the head (and any
 * body written meanwhile, in order) until the record is stored and the three headers are set:
 * for a store that saves in the background (a store that saves at once needs only
 * `finishAtHead`).
 * For frameworks with no "before the response" hook that every path goes through (Express:
 * `res.send`, `res.end`, `res.sendFile`, `pipe`, the error handler, finalhandler all end in one
 * of these four methods). The status recorded is the one the head carries: what the client gets.
 *
 * While held, `res.headersSent` is still false and `write` returns false, then `'drain'` is
 * emitted once the body is through, so a piped stream waits rather than piling up.
 *
 * @example
 * ```ts
 * holdResponseUntilFinished(res, tracked);
 * tracked.run(next); // the handler's res.end(...) goes out once the record is stored
 * ```
 */
export function holdResponseUntilFinished(res: ServerResponse, tracked: TrackedRequest): void {
  const originals = { writeHead: res.writeHead, flushHeaders: res.flushHeaders, write: res.write, end: res.end };
  const held: Array<[Held, unknown[]]> = [];
  let state: 'idle' | 'holding' | 'done' = 'idle';
  let awaitsDrain = false;

  const release = (): void => {
    state = 'done';
    const own = res as unknown as Record<Held, unknown>;
    for (const name of HELD) {
      // Only ours: a wrapper a later middleware put on top (compression, on-headers) stays, and
      // ours then passes calls through.
      if (own[name] !== patched[name]) continue;
      // Assigned back, not deleted: a delete would make the response a slow dictionary object.
      own[name] = originals[name];
    }
    let drained = true;
    for (const [name, args] of held) {
      try {
        const result = (originals[name] as (...a: unknown[]) => unknown).apply(res, args);
        if (name === 'write') drained = result !== false;
      } catch (error) {
        // A call the app made wrongly (a second writeHead) throws only now, outside its code:
        // shown as a process warning rather than an unhandled rejection that would end the process.
        process.emitWarning(error as Error);
      }
    }
    held.length = 0;
    if (awaitsDrain && drained) res.emit('drain');
  };

  const hold = (name: Held, args: unknown[]): void => {
    held.push([name, args]);
    if (state !== 'idle') return;
    state = 'holding';
    const status = name === 'writeHead' && typeof args[0] === 'number' ? args[0] : res.statusCode;
    tracked.finish(status).then(
      (headers) => {
        if (!res.headersSent) setTrackingHeaders(res, headers);
      },
      () => undefined,
    ).finally(release);
  };

  const patched = {
    writeHead(this: ServerResponse, ...args: unknown[]) {
      if (state === 'done') return (originals.writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
      hold('writeHead', args);
      return this;
    },
    flushHeaders(this: ServerResponse) {
      if (state === 'done') return originals.flushHeaders.call(this);
      hold('flushHeaders', []);
    },
    write(this: ServerResponse, ...args: unknown[]) {
      if (state === 'done') return (originals.write as (...a: unknown[]) => boolean).apply(this, args);
      hold('write', args);
      awaitsDrain = true;
      return false;
    },
    end(this: ServerResponse, ...args: unknown[]) {
      if (state === 'done') return (originals.end as (...a: unknown[]) => ServerResponse).apply(this, args);
      hold('end', args);
      return this;
    },
  };
  Object.assign(res, patched);
}
