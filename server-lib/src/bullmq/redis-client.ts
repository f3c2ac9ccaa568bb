/**
 * The few Redis calls the status reader makes, and where it gets a client that can make them:
 * the connection of the app's own Queue (or FlowProducer), or one it opens itself.
 */
import type { ConnectionOptions } from 'bullmq';

/** An ioredis pipeline, reduced to the commands the status reader queues. */
export interface StatusPipeline {
  hgetall(key: string): StatusPipeline;
  zscore(key: string, member: string): StatusPipeline;
  lpos(key: string, element: string): StatusPipeline;
  llen(key: string): StatusPipeline;
  lrange(key: string, start: number, stop: number): StatusPipeline;
  exec(): Promise<Array<[Error | null, unknown]> | null>;
}

/** An ioredis client (or bullmq's proxy around one), reduced to what the status reader needs. */
export interface StatusClient {
  pipeline(): StatusPipeline;
  status?: string;
}

function isStatusClient(value: unknown): value is StatusClient {
  return typeof (value as StatusClient | null)?.pipeline === 'function';
}

/**
 * True when `client` is connected now. A client that is connecting or reconnecting would queue
 * the reads until Redis comes back — on the app's own connection, piling up behind an outage —
 * so the reader answers `unavailable` instead of sending anything.
 */
export function isUsable(client: StatusClient): boolean {
  // 'wait' is a lazyConnect client that has never connected: its first command connects it.
  return client.status === undefined || client.status === 'ready' || client.status === 'wait';
}

/** Why `client` is not usable, for the `reason` of its jobs. */
export function unusableReason(client: StatusClient): string {
  return client.status === 'end' || client.status === 'close'
    ? 'the Redis connection is closed'
    : `the Redis connection is not ready (${client.status})`;
}

/**
 * The Redis client of a Queue, FlowProducer or Worker, or `undefined` when it has none usable.
 * bullmq 6 keeps it on `backend.client`, bullmq 5 on `client`; both are promises.
 *
 * @example
 * ```ts
 * const client = await clientOfSource(queue);
 * ```
 */
export async function clientOfSource(source: object): Promise<StatusClient | undefined> {
  const holder = source as { backend?: { client?: unknown }; client?: unknown };
  const pending = holder.backend?.client ?? holder.client;
  if (pending === undefined) return undefined;
  const client: unknown = await pending;
  return isStatusClient(client) && client.status !== 'end' ? client : undefined;
}

/** The `connection` option the reader accepts: bullmq's `ConnectionOptions`, or an ioredis client. */
export type StatusConnection = ConnectionOptions | StatusClient;

/** A client for `connection`, and whether the reader owns it (and so must close it). */
export interface OpenedClient {
  client: StatusClient;
  owned: boolean;
  close(): Promise<void>;
}

/**
 * Turns the `connection` option into a client. An instance is used as is and left open; options
 * get a new ioredis client that fails fast (one retry per command, connect timeout) so a Redis
 * outage gives `unavailable` instead of queued reads.
 *
 * @example
 * ```ts
 * const opened = await openConnection({ host: 'localhost', port: 6379 }, 2000);
 * ```
 */
export async function openConnection(connection: StatusConnection, timeoutMs: number): Promise<OpenedClient> {
  if (isStatusClient(connection)) return { client: connection, owned: false, close: async () => {} };
  // ioredis is an optional peer dependency; import it only when the app gave plain options.
  const { Redis } = await import('ioredis');
  const { url, ...rest } = connection as { url?: string } & Record<string, unknown>;
  // No offline queue: while Redis is away a read fails at once rather than waiting in line.
  const options = {
    ...rest, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: timeoutMs, lazyConnect: false,
    connectionName: 'taskscope:status',
  };
  const redis = url === undefined ? new Redis(options) : new Redis(url, options);
  // Errors surface through each read as `unavailable`; without a listener ioredis would print them.
  redis.on('error', () => {});
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
      redis.once('ready', () => { clearTimeout(timer); resolve(); });
    });
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  return {
    client: redis as unknown as StatusClient,
    owned: true,
    close: async () => {
      try {
        await Promise.race([redis.quit(), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
      } catch {
        // Already closed or never connected.
      }
      redis.disconnect();
    },
  };
}
