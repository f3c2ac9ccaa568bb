/**
 * The wrappers of ws's `WebSocket` methods: the frames, close and errors of every server-side
 * socket linked to a recorded connection; any other socket (the app's own clients) passes
 * straight through. The app sees the same `this`, arguments, return values, events and errors.
 */
import { performance } from 'node:perf_hooks';
import { createLog } from '../core/log.js';
import { applyInScope } from '../core/scope.js';
import { epochOf } from './epoch-clock.js';
import type { WsConnectionRecording } from './connection-recording.js';
import type { MessageScope } from './message-scope.js';
import type { AnyFunction, Wrap } from './patch.js';
import type { WsTracker } from './tracker.js';

/** A server-side socket's recording. */
export interface Link {
  tracker: WsTracker;
  connection: WsConnectionRecording;
  clientCloseSeen: boolean;
}

/** Internals of ws's WebSocket read to tell who closed first (stable since ws 3). */
export interface WsInternals {
  readyState?: number;
  protocol?: string;
  _closeFrameReceived?: boolean;
  _closeCode?: number;
  _closeMessage?: unknown;
}

const OPEN = 1;
const CONNECTING = 0;
const log = createLog();

// The property a server-side socket carries its recording under: one per process (Symbol.for),
// so every copy of taskscope finds a socket another copy linked. A property rather than a
// WeakMap: every frame reads it, and a property read is what V8 makes cheapest.
const LINK = Symbol.for('taskscope.ws.link');

type Linkable = object & { [LINK]?: Link };

/** Links a server-side socket to its recording (non-enumerable: the app's own views of the socket stay as they were). */
export function linkSocket(ws: object, link: Link): void {
  Object.defineProperty(ws, LINK, { value: link, writable: true, configurable: true, enumerable: false });
}

/** The recording of a server-side socket, if it has one. */
export function linkOf(ws: unknown): Link | undefined {
  return typeof ws === 'object' && ws !== null ? (ws as Linkable)[LINK] : undefined;
}

/** Runs a recording step; a failure is logged once and never reaches the app. */
export function quietly(action: () => void): void {
  try {
    action();
  } catch (error) {
    log.warnOnce('ws-record', 'could not record a WebSocket event', error);
  }
}

// The wrappers read `arguments` rather than rest parameters: they run on every frame, and V8
// passes `arguments` on to `apply` without copying it.

export const emit: Wrap = (original, state) => function (this: unknown) {
  const link = state.active ? linkOf(this) : undefined;
  // eslint-disable-next-line prefer-rest-params
  if (link === undefined) return original.apply(this, arguments as unknown as unknown[]);
  // eslint-disable-next-line prefer-rest-params
  const args = arguments as unknown as unknown[];
  const event = args[0];
  if (event === 'message') return emitMessage(this, link, original, args);
  const [, first, second] = args;
  const { connection } = link;
  if (event === 'ping' || event === 'pong') quietly(() => connection.message('in', event, first, false));
  else if (event === 'close') quietly(() => connection.closed(typeof first === 'number' ? first : 1006, String(second ?? '')));
  else if (event === 'error') quietly(() => connection.error(first));
  return original.apply(this, args);
};

/** A received message: recorded, then its listeners run in the message's own Taskscope scope. */
function emitMessage(ws: unknown, link: Link, original: AnyFunction, args: unknown[]): unknown {
  const data = args[1];
  const isBinary = args[2];
  let seq = 0;
  let scope: MessageScope | undefined;
  // One clock read times the listeners and dates the message.
  const started = performance.now();
  try {
    const binary = typeof isBinary === 'boolean' ? isBinary : typeof data !== 'string';
    seq = link.connection.data(true, data, binary, epochOf(started));
    scope = link.tracker.messageScope(link.connection, seq);
  } catch (error) {
    log.warnOnce('ws-record', 'could not record a WebSocket event', error);
  }
  if (scope === undefined) return original.apply(ws, args);
  try {
    return applyInScope(scope, original, ws, args);
  } finally {
    const elapsed = performance.now() - started;
    try {
      link.connection.handled(seq, elapsed);
    } catch {
      // Only the handler time is lost.
    }
  }
}

function linked(ws: unknown, state: { active: boolean }): Link | undefined {
  return state.active ? linkOf(ws) : undefined;
}

export const send: Wrap = (original, state) => function (this: unknown) {
  // eslint-disable-next-line prefer-rest-params
  const args = arguments as unknown as unknown[];
  const link = linked(this, state);
  if (link !== undefined && (this as WsInternals).readyState === OPEN) {
    try {
      const data = args[0];
      const options = args[1];
      const given = typeof options === 'object' && options !== null ? (options as { binary?: unknown }).binary : undefined;
      const binary = typeof given === 'boolean' ? given : typeof data !== 'string' && typeof data !== 'number';
      link.connection.data(false, data, binary, Date.now());
    } catch (error) {
      log.warnOnce('ws-record', 'could not record a WebSocket event', error);
    }
  }
  return original.apply(this, args);
};

export const control = (opcode: 'ping' | 'pong'): Wrap => (original, state) => function (this: unknown, ...args: unknown[]) {
  const link = linked(this, state);
  if (link && (this as WsInternals).readyState === OPEN) {
    quietly(() => link.connection.message('out', opcode, typeof args[0] === 'function' ? undefined : args[0] ?? '', false));
  }
  return original.apply(this, args);
};

export const close: Wrap = (original, state) => function (this: unknown, ...args: unknown[]) {
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

export const terminate: Wrap = (original, state) => function (this: unknown, ...args: unknown[]) {
  const link = linked(this, state);
  if (link) quietly(() => link.connection.closing('server'));
  return original.apply(this, args);
};
