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
import { performance } from 'node:perf_hooks';
import { createLog } from '../core/log.js';
import { runInRequestScope } from '../core/scope.js';
import type { WsConnectionRecording } from './connection-recording.js';
import type { MessageScope } from './message-scope.js';
import type { WsMessage } from '../protocol-ws.js';
import { addDebugHeaders, watchRefusal, type PendingHandshake } from './handshake.js';
import { patchPrototypeOnce, type AnyFunction, type Wrap } from './patch.js';
import type { WsTracker } from './tracker.js';

/** The part of a `ws` module the instrumentation patches (`require('ws')`). */
export interface WsModule {
  prototype: object;
  WebSocketServer?: { prototype: object };
  Server?: { prototype: object };
}

interface Link {
  tracker: WsTracker;
  connection: WsConnectionRecording;
  clientCloseSeen: boolean;
}

/** Internals of ws's WebSocket read to tell who closed first (stable since ws 3). */
interface WsInternals {
  readyState?: number;
  protocol?: string;
  _closeFrameReceived?: boolean;
  _closeCode?: number;
  _closeMessage?: unknown;
}

const OPEN = 1;
const CONNECTING = 0;
const log = createLog();

// Shared by every copy of taskscope in the process, like the request scope's storage.
const globals = globalThis as Record<symbol, unknown>;
const trackers = (globals[Symbol.for('taskscope.ws.trackers')] ??= []) as WsTracker[];
const links = (globals[Symbol.for('taskscope.ws.links')] ??= new WeakMap()) as WeakMap<object, Link>;
const handshakes = (globals[Symbol.for('taskscope.ws.handshakes')] ??= new WeakMap()) as WeakMap<object, PendingHandshake & { tracker: WsTracker }>;

/** Makes `tracker` the one new connections are recorded by (the newest Taskscope wins); returns the undo. */
export function registerWsTracker(tracker: WsTracker): () => void {
  trackers.push(tracker);
  return () => {
    const index = trackers.indexOf(tracker);
    if (index !== -1) trackers.splice(index, 1);
  };
}

function quietly(action: () => void): void {
  try {
    action();
  } catch (error) {
    log.warnOnce('ws-record', 'could not record a WebSocket event', error);
  }
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
      links.set(ws, { tracker, connection: recorded, clientCloseSeen: false });
      recorded.opened(typeof ws.protocol === 'string' && ws.protocol !== '' ? ws.protocol : null);
    });
    return (cb as AnyFunction).apply(this, cbArgs);
  };
  return original.apply(this, args);
};

const completeUpgrade: Wrap = (original) => function (this: unknown, ...args: unknown[]) {
  const socket = args[4] as (object & { destroyed?: boolean }) | undefined;
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

const emit: Wrap = (original, state) => function (this: unknown, ...args: unknown[]) {
  const link = state.active && typeof this === 'object' && this !== null ? links.get(this) : undefined;
  if (!link) return original.apply(this, args);
  const [event, first, second] = args;
  if (event === 'message') return emitMessage(this, link, original, args);
  const { connection } = link;
  if (event === 'ping' || event === 'pong') quietly(() => connection.message('in', event, first, false));
  else if (event === 'close') quietly(() => connection.closed(typeof first === 'number' ? first : 1006, String(second ?? '')));
  else if (event === 'error') quietly(() => connection.error(first));
  return original.apply(this, args);
};

/** A received message: recorded, then its listeners run in the message's own Taskscope scope. */
function emitMessage(ws: unknown, link: Link, original: AnyFunction, args: unknown[]): unknown {
  const [, data, isBinary] = args;
  let message: WsMessage | undefined;
  let scope: MessageScope | undefined;
  try {
    const binary = typeof isBinary === 'boolean' ? isBinary : typeof data !== 'string';
    message = link.connection.message('in', binary ? 'binary' : 'text', data, binary);
    scope = link.tracker.messageScope(link.connection, message);
  } catch (error) {
    log.warnOnce('ws-record', 'could not record a WebSocket event', error);
  }
  if (!scope || !message) return original.apply(ws, args);
  const started = performance.now();
  try {
    return runInRequestScope(scope, () => original.apply(ws, args));
  } finally {
    const elapsed = performance.now() - started;
    try {
      link.connection.handled(message, elapsed);
    } catch {
      // Only the handler time is lost.
    }
  }
}

function linked(ws: unknown, state: { active: boolean }): Link | undefined {
  return state.active && typeof ws === 'object' && ws !== null ? links.get(ws) : undefined;
}

const send: Wrap = (original, state) => function (this: unknown, ...args: unknown[]) {
  const link = linked(this, state);
  if (link && (this as WsInternals).readyState === OPEN) {
    try {
      const [data, options] = args;
      const given = typeof options === 'object' && options !== null ? (options as { binary?: unknown }).binary : undefined;
      const binary = typeof given === 'boolean' ? given : typeof data !== 'string' && typeof data !== 'number';
      link.connection.message('out', binary ? 'binary' : 'text', data, binary);
    } catch (error) {
      log.warnOnce('ws-record', 'could not record a WebSocket event', error);
    }
  }
  return original.apply(this, args);
};

const control = (opcode: 'ping' | 'pong'): Wrap => (original, state) => function (this: unknown, ...args: unknown[]) {
  const link = linked(this, state);
  if (link && (this as WsInternals).readyState === OPEN) {
    quietly(() => link.connection.message('out', opcode, typeof args[0] === 'function' ? undefined : args[0] ?? '', false));
  }
  return original.apply(this, args);
};

const close: Wrap = (original, state) => function (this: unknown, ...args: unknown[]) {
  const link = linked(this, state);
  if (link) {
    quietly(() => {
      const ws = this as WsInternals;
      if (ws._closeFrameReceived === true && !link.clientCloseSeen) {
        link.clientCloseSeen = true;
        link.connection.closing('client');
        link.connection.message('in', 'close', ws._closeMessage ?? '', false, ws._closeCode === 1005 ? null : ws._closeCode ?? null);
      }
      if (ws.readyState === OPEN) {
        link.connection.closing('server');
        link.connection.message('out', 'close', args[1] ?? '', false, typeof args[0] === 'number' ? args[0] : null);
      } else if (ws.readyState === CONNECTING) {
        link.connection.closing('server');
      }
    });
  }
  return original.apply(this, args);
};

const terminate: Wrap = (original, state) => function (this: unknown, ...args: unknown[]) {
  const link = linked(this, state);
  if (link) quietly(() => link.connection.closing('server'));
  return original.apply(this, args);
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
