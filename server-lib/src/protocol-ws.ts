/**
 * The WebSocket part of the wire contract (protocol v1): the server side of every `ws`
 * connection, its messages, and the jobs each received message enqueued.
 * Re-exported by `protocol.ts`, so the extension imports these from `taskscope/protocol`.
 *
 * @example
 * ```ts
 * import type { WsConnectionRecord } from 'taskscope/protocol';
 * const connection: WsConnectionRecord = await (await fetch(`${prefix}/ws/${id}`)).json();
 * ```
 */
import type { PROTOCOL_VERSION, RequestRecord } from './protocol.js';

/** `connecting` until the handshake is decided; `rejected` when the server refused the upgrade. */
export type WsState = 'connecting' | 'open' | 'closing' | 'closed' | 'rejected';

/** A WebSocket frame kind, as the application sees it (a fragmented message is one `text` or `binary`). */
export type WsOpcode = 'text' | 'binary' | 'ping' | 'pong' | 'close';

/** `in`: the client sent it; `out`: the server sent it. */
export type WsDirection = 'in' | 'out';

/** Who started the close: `server`, `client`, or `abnormal` when the socket ended without a close frame. */
export type WsCloseSide = 'server' | 'client' | 'abnormal';

/** A socket.io / engine.io frame, decoded. */
export interface WsDecodedFrame {
  kind: 'engine.io' | 'socket.io';
  /** Engine.io packet type (`open`, `close`, `ping`, `pong`, `message`, `upgrade`, `noop`), or socket.io's (`CONNECT`, `EVENT`, `ACK`, …). */
  type: string;
  /** Socket.io namespace (`/` by default). */
  namespace: string | null;
  /** The event name of a socket.io `EVENT`. */
  event: string | null;
  /** The event's arguments (or the packet's payload), parsed from JSON; `null` when none or unparsable. */
  args: unknown;
  /** The acknowledgement id, when the packet asks for or answers one. */
  ackId: number | null;
}

/** One frame of a connection. */
export interface WsMessage {
  /** 1-based order on the connection, both directions; `?since=` filters by it. */
  seq: number;
  direction: WsDirection;
  opcode: WsOpcode;
  /** Epoch ms. */
  at: number;
  /** Payload bytes. */
  size: number;
  /** Text (or a close reason) up to `ws.maxTextBytes`; hex of the first `ws.maxBinaryPreviewBytes` bytes of binary (when enabled); else `null`. */
  preview: string | null;
  /** `text` for a text preview, `hex` for a binary one. */
  encoding: 'text' | 'hex' | null;
  /** The preview is shorter than the payload. */
  truncated: boolean;
  /** Close frames: the code, `null` when the frame had none. */
  closeCode: number | null;
  /** socket.io / engine.io frames, decoded; else `null`. */
  decoded: WsDecodedFrame | null;
  /** Received messages: ms spent in the app's listeners (synchronously); else `null`. */
  handlerMs: number | null;
  /** Received messages: ms from receipt until the last job its listeners enqueued was settled; `null` without jobs. */
  settledMs: number | null;
  /**
   * Received messages whose listeners enqueued jobs: those jobs, recorded like a request's
   * (`request.method` is `WS`; a task is `late` when enqueued after the turn of the event loop that
   * delivered the message, e.g. after an `await`). Else `null`.
   */
  record: RequestRecord | null;
}

/** One line of `GET {prefix}/ws`. */
export interface WsConnectionItem {
  /** A random UUID; the `X-Debug-Id` header of the 101 response. */
  id: string;
  /** Path and query of the upgrade request, secret-looking query parameters redacted. */
  url: string;
  /** The subprotocol agreed, else `null`. */
  protocol: string | null;
  origin: string | null;
  remoteAddress: string | null;
  state: WsState;
  /** Epoch ms of the upgrade request. */
  openedAt: number;
  closedAt: number | null;
  /** Until closed (or rejected); `null` while open. */
  durationMs: number | null;
  close: { code: number | null; reason: string; side: WsCloseSide } | null;
  /** A refused upgrade: the HTTP status and the body (or status text) sent. */
  rejected: { status: number; reason: string } | null;
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Jobs enqueued by the connection's received messages (also those of dropped messages). */
  taskCount: number;
  /** Messages no longer kept: the ring buffer holds the newest `ws.maxMessages`. */
  droppedMessages: number;
  /** Highest message `seq` so far. */
  lastSeq: number;
  /** Grows with every change; compare to refetch. */
  revision: number;
}

/** `GET {prefix}/ws/{id}`: one connection with its messages (newer than `?since=` when given). */
export interface WsConnectionRecord extends WsConnectionItem {
  version: typeof PROTOCOL_VERSION;
  /** Handshake request headers, `cookie`/`authorization` and other secret-looking ones redacted. */
  headers: Record<string, string>;
  /** Errors on the connection (at most 10), e.g. ws's own `Invalid UTF-8 sequence`. */
  errors: Array<{ at: number; message: string }>;
  /** Oldest first. */
  messages: WsMessage[];
  /** The `since` of the request, else `null`. */
  since: number | null;
}

export interface WsListResponse {
  version: typeof PROTOCOL_VERSION;
  /** Newest first. */
  connections: WsConnectionItem[];
  /** Connections not recorded because `ws.maxConnections` open ones were already kept. */
  droppedConnections: number;
  limits: { maxConnections: number; maxMessages: number; maxTextBytes: number; maxBinaryPreviewBytes: number; closedTtlMs: number };
}
