import { STATUS_CODES } from 'node:http';
import { DEBUG_ID_HEADER, DEBUG_URL_HEADER } from '../protocol.js';
import type { WsConnectionRecording } from './connection-recording.js';
import { overrideOwn, type AnyFunction } from './patch.js';

/** A connection between `handleUpgrade` and the 101 (or the refusal). */
export interface PendingHandshake {
  connection: WsConnectionRecording;
  prefix: string;
  /** Stops watching `socket.end` for a refusal. */
  stopWatching: () => void;
}

const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})/;

/**
 * Watches the upgrade's socket for the refusal ws writes with `socket.end('HTTP/1.1 401 …')`
 * (verifyClient, abortHandshake, a `wsClientError` listener), until the 101 is written.
 */
export function watchRefusal(socket: object, connection: WsConnectionRecording): () => void {
  const end = (socket as { end?: unknown }).end;
  if (typeof end !== 'function') return () => {};
  const stop = overrideOwn(socket, 'end', function (this: unknown, ...args: unknown[]) {
    stop();
    noteRefusal(connection, args[0]);
    return (end as AnyFunction).apply(this, args);
  });
  return stop;
}

function noteRefusal(connection: WsConnectionRecording, chunk: unknown): void {
  try {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('latin1', 0, 4096) : '';
    const status = Number(STATUS_LINE.exec(text)?.[1] ?? 0);
    if (status === 0 || status === 101 || connection.state !== 'connecting') return;
    const bodyAt = text.indexOf('\r\n\r\n');
    const body = bodyAt === -1 ? '' : text.slice(bodyAt + 4).trim();
    connection.rejected(status, body || STATUS_CODES[status] || '');
  } catch {
    // The refusal goes out as the app wrote it; only our note of it is lost.
  }
}

/**
 * Adds `X-Debug-Id` and `X-Debug-Url` to the 101 response ws is about to write, once, by
 * wrapping this one socket's `write` for the duration of `completeUpgrade`.
 */
export function addDebugHeaders(socket: object, pending: PendingHandshake, onWritten: () => void): () => void {
  const write = (socket as { write?: unknown }).write;
  if (typeof write !== 'function') return () => {};
  const stop = overrideOwn(socket, 'write', function (this: unknown, ...args: unknown[]) {
    stop();
    const head = args[0];
    if (typeof head === 'string' && head.startsWith('HTTP/1.1 101')) {
      const lineEnd = head.indexOf('\r\n');
      const id = pending.connection.id;
      args[0] = `${head.slice(0, lineEnd + 2)}${DEBUG_ID_HEADER}: ${id}\r\n${DEBUG_URL_HEADER}: ${pending.prefix}/ws/${id}\r\n${head.slice(lineEnd + 2)}`;
      onWritten();
    }
    return (write as AnyFunction).apply(this, args);
  });
  return stop;
}
