/**
 * Zero-config instrumentation of `ws` (which socket.io and engine.io run on). Checked against
 * ws 8.23's source: `WebSocketServer.handleUpgrade` decides the handshake (refusals are written
 * with `socket.end('HTTP/1.1 <status> …')`), `completeUpgrade` writes the 101 and calls back with
 * the server-side `WebSocket`; that socket emits `message`, `ping`, `pong`, `close` and `error`,
 * and a client's close frame reaches `close()` with `_closeFrameReceived` set. The app sees the
 * same `this`, arguments, return values, events, order and errors.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { WsConnectionRecording } from './connection-recording.js';
import { addDebugHeaders, watchRefusal, type PendingHandshake } from './handshake.js';
import { patchPrototypeOnce, type AnyFunction, type Wrap } from './patch.js';
import { close, control, emit, linkSocket, quietly, send, terminate, type WsInternals } from './socket-wraps.js';
import type { WsTracker } from './tracker.js';

/** The part of a `ws` module the instrumentation patches (`require('ws')`). */
export interface WsModule {
  prototype: object;
  WebSocketServer?: { prototype: object };
  Server?: { prototype: object };
}

// Shared by every copy of taskscope in the process, like the request scope's storage.
const globals = globalThis as Record<symbol, unknown>;
const trackers = (globals[Symbol.for('taskscope.ws.trackers')] ??= []) as WsTracker[];
const handshakes = (globals[Symbol.for('taskscope.ws.handshakes')] ??= new WeakMap()) as WeakMap<object, PendingHandshake & { tracker: WsTracker }>;

/** Makes `tracker` the one new connections are recorded by (the newest Taskscope wins); returns the undo. */
export function registerWsTracker(tracker: WsTracker): () => void {
  trackers.push(tracker);
  return () => {
    const index = trackers.indexOf(tracker);
    if (index !== -1) trackers.splice(index, 1);
  };
}

const handleUpgrade: Wrap = (original, state) => function (this: unknown, ...args: unknown[]) {
  const tracker = state.active ? trackers[trackers.length - 1] : undefined;
  const [req, socket, , cb] = args;
  if (!tracker || typeof socket !== 'object' || socket === null || handshakes.has(socket)) return original.apply(this, args);
  let connection: WsConnectionRecording | undefined;
  quietly(() => {
    connection = tracker.open(req as never);
    if (connection) {
      handshakes.set(socket, { tracker, connection, prefix: tracker.runtime.options.prefix, stopWatching: watchRefusal(socket, connection) });
    }
  });
  if (!connection || typeof cb !== 'function') return original.apply(this, args);
  const recorded = connection;
  args[3] = function (this: unknown, ...cbArgs: unknown[]) {
    quietly(() => {
      const ws = cbArgs[0] as object & WsInternals;
      linkSocket(ws, { tracker, connection: recorded, clientCloseSeen: false });
      recorded.opened(typeof ws.protocol === 'string' && ws.protocol !== '' ? ws.protocol : null);
    });
    return (cb as AnyFunction).apply(this, cbArgs);
  };
  return original.apply(this, args);
};

const completeUpgrade: Wrap = (original) => function (this: unknown, ...args: unknown[]) {
  // ws 8 passes the socket fifth; look it up rather than trust the position.
  const socket = args.find((arg) => typeof arg === 'object' && arg !== null && handshakes.has(arg)) as (object & { destroyed?: boolean }) | undefined;
  const pending = socket ? handshakes.get(socket) : undefined;
  if (!socket || !pending) return original.apply(this, args);
  let stopHeaders = () => {};
  quietly(() => {
    stopHeaders = addDebugHeaders(socket, pending, pending.stopWatching);
  });
  try {
    return original.apply(this, args);
  } finally {
    stopHeaders();
    // ws destroys a socket whose client already hung up, with no answer.
    quietly(() => {
      if (pending.connection.state === 'connecting' && socket.destroyed) pending.connection.closed(1006, '');
    });
  }
};

function isWs(value: unknown): value is WsModule {
  const mod = value as WsModule | null;
  const server = mod?.WebSocketServer ?? mod?.Server;
  return typeof mod === 'function' && typeof (server?.prototype as { handleUpgrade?: unknown } | undefined)?.handleUpgrade === 'function';
}

/**
 * Patches a `ws` module's `WebSocketServer` and `WebSocket` prototypes once (idempotent,
 * reference-counted like {@link instrumentBullMQ}); returns an undo. Connections are recorded
 * only while a Taskscope instance with `ws.instrument` on is running.
 *
 * @example
 * ```ts
 * import WebSocket from 'ws';
 * const undo = instrumentWs(WebSocket);
 * ```
 */
export function instrumentWs(ws: WsModule): () => void {
  if (!isWs(ws)) throw new TypeError('Expected instrumentWs to be given the ws module (require("ws"))');
  const server = (ws.WebSocketServer ?? ws.Server)!;
  const undoServer = patchPrototypeOnce(server.prototype as Record<PropertyKey, unknown>, { handleUpgrade, completeUpgrade });
  const undoSocket = patchPrototypeOnce(ws.prototype as Record<PropertyKey, unknown>, {
    emit, send, ping: control('ping'), pong: control('pong'), close, terminate,
  });
  return () => {
    undoServer();
    undoSocket();
  };
}

/**
 * Instruments every `ws` the app can resolve: its own, taskscope's, and the copies socket.io
 * and engine.io bring along. Never throws; silent when there is no ws at all.
 *
 * @example
 * ```ts
 * const undo = instrumentInstalledWs();
 * ```
 */
export function instrumentInstalledWs(): () => void {
  const undos: Array<() => void> = [];
  const seen = new Set<unknown>();
  for (const base of [join(process.cwd(), 'package.json'), import.meta.url]) {
    for (const chain of [['ws'], ['engine.io', 'ws'], ['socket.io', 'engine.io', 'ws']]) {
      try {
        let requireFrom = createRequire(base);
        for (const name of chain.slice(0, -1)) requireFrom = createRequire(requireFrom.resolve(name));
        const mod: unknown = requireFrom('ws');
        if (seen.has(mod) || !isWs(mod)) continue;
        seen.add(mod);
        undos.push(instrumentWs(mod));
      } catch {
        // Not installed along this path.
      }
    }
  }
  return () => undos.forEach((undo) => undo());
}
