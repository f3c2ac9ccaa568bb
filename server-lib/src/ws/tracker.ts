import type { IncomingMessage } from 'node:http';
import type { WsConnectionItem, WsConnectionRecord } from '../protocol-ws.js';
import { recordedUrl } from '../core/request-url.js';
import { clip } from '../core/clip.js';
import type { TaskscopeRuntime } from '../core/runtime.js';
import { WsConnectionRecording } from './connection-recording.js';
import { MessageScope } from './message-scope.js';
import type { ResolvedWsOptions } from './options.js';
import { RedisWsStore } from './redis-ws-store.js';
import { TurnClock } from './turn-clock.js';

const MAX_HEADERS = 50;
const MAX_HEADER_VALUE = 500;
const REDACTED = '[redacted]';
// Credentials of the handshake, whatever the app's `redact` rules say.
const ALWAYS_REDACTED = new Set(['cookie', 'authorization', 'proxy-authorization']);

/**
 * The WebSocket connections one Taskscope instance records: bounded (`ws.maxConnections`,
 * closed ones evicted first, oldest first; `ws.closedTtlMs`), readable by the debug API, and
 * written to a shared store at most every `ws.saveIntervalMs` when the app uses `RedisStore`.
 *
 * @example
 * ```ts
 * const tracker = new WsTracker(runtime, resolveWsOptions({}));
 * const connection = tracker.open(req); // undefined when full of open connections
 * ```
 */
export class WsTracker {
  private readonly connections = new Map<string, WsConnectionRecording>();
  private readonly shared: RedisWsStore | undefined;
  private readonly dirty = new Set<WsConnectionRecording>();
  private timer: NodeJS.Timeout | undefined;
  private lastSave: Promise<void> = Promise.resolve();
  private readonly clock = new TurnClock();
  private refresher: NodeJS.Timeout | undefined;
  droppedConnections = 0;

  constructor(readonly runtime: TaskscopeRuntime, readonly options: ResolvedWsOptions) {
    this.shared = RedisWsStore.from(runtime.store, options.closedTtlMs, options.maxConnections);
    // An open connection that stays quiet is written again before its keys expire.
    if (this.shared) {
      this.refresher = setInterval(() => {
        for (const connection of this.connections.values()) if (connection.head.closedAt === null) this.changed(connection);
      }, Math.max(1000, Math.floor(options.closedTtlMs / 2))).unref();
    }
  }

  /** Starts the record of an upgrade request; `undefined` (and counted) when no room is left. */
  open(req: IncomingMessage): WsConnectionRecording | undefined {
    this.evict();
    if (this.connections.size >= this.options.maxConnections) {
      this.droppedConnections += 1;
      return undefined;
    }
    const headers = req.headers ?? {};
    const connection = new WsConnectionRecording(this.options, {
      url: recordedUrl(typeof req.url === 'string' ? req.url : '/', this.runtime.isSecretKey),
      origin: firstValue(headers.origin ?? headers['sec-websocket-origin']),
      remoteAddress: req.socket?.remoteAddress ?? null,
      headers: this.recordedHeaders(headers),
    }, this.shared ? (changed) => this.changed(changed) : undefined);
    this.connections.set(connection.id, connection);
    if (this.shared) this.changed(connection);
    return connection;
  }

  /** The scope a received message's listeners run in. */
  messageScope(connection: WsConnectionRecording, seq: number): MessageScope {
    return new MessageScope(this.runtime, this.clock, connection, seq);
  }

  async list(limit: number): Promise<WsConnectionItem[]> {
    this.evict();
    // Newest first, also among connections opened in the same millisecond (the sort is stable).
    const local = [...this.connections.values()].reverse().map((connection) => connection.item());
    const items = new Map(local.map((item) => [item.id, item]));
    if (this.shared) {
      for (const item of await this.shared.list(limit)) if (!items.has(item.id)) items.set(item.id, item);
    }
    return [...items.values()].sort((a, b) => b.openedAt - a.openedAt).slice(0, limit);
  }

  /** This process's live record first (the freshest), else the shared store's copy. */
  async get(id: string): Promise<WsConnectionRecord | undefined> {
    const local = this.connections.get(id);
    if (local && !this.expired(local, Date.now())) return local.snapshot();
    return this.shared?.get(id);
  }

  /** Writes what is pending and stops the save timer. */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    if (this.refresher) clearInterval(this.refresher);
    this.timer = undefined;
    await this.flush();
  }

  private changed(connection: WsConnectionRecording): void {
    if (!this.shared) return;
    this.dirty.add(connection);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.options.saveIntervalMs).unref();
  }

  private flush(): Promise<void> {
    if (!this.shared || this.dirty.size === 0) return this.lastSave;
    const batch = [...this.dirty];
    this.dirty.clear();
    this.lastSave = this.shared.save(batch).catch((error: unknown) => this.runtime.log.warnOnce('ws-save', 'could not store WebSocket connections', error));
    return this.lastSave;
  }

  private evict(): void {
    const now = Date.now();
    for (const [id, connection] of this.connections) {
      if (this.expired(connection, now)) this.connections.delete(id);
    }
    if (this.connections.size < this.options.maxConnections) return;
    // Map order is insertion order: the first ended one is the oldest.
    for (const [id, connection] of this.connections) {
      if (connection.head.closedAt !== null) {
        this.connections.delete(id);
        return;
      }
    }
  }

  private expired(connection: WsConnectionRecording, now: number): boolean {
    const closedAt = connection.head.closedAt;
    return closedAt !== null && now - closedAt > this.options.closedTtlMs;
  }

  private recordedHeaders(headers: IncomingMessage['headers']): Record<string, string> {
    const kept: Record<string, string> = {};
    for (const name of Object.keys(headers).slice(0, MAX_HEADERS)) {
      const value = headers[name];
      const text = Array.isArray(value) ? value.join(', ') : String(value ?? '');
      kept[name] = ALWAYS_REDACTED.has(name) || this.runtime.isSecretKey(name) ? REDACTED : clip(text, MAX_HEADER_VALUE);
    }
    return kept;
  }
}

function firstValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? (value[0] ?? null) : value;
}
