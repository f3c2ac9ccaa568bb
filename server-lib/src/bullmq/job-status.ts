/**
 * Live status of jobs, read from Redis in one round trip per connection.
 */
import type { JobStatus } from '../protocol.js';
import { decodeJobStatus, queueJobStateCommands, REPLIES_PER_JOB, unavailableStatus, type JobRef, type SerializeValue } from './job-state-query.js';
import { clientOfSource, isUsable, openConnection, unusableReason, type OpenedClient, type StatusClient, type StatusConnection } from './redis-client.js';
import { findSource, isLiveSource } from './source-registry.js';

export type { JobRef } from './job-state-query.js';

export interface JobStatusReaderOptions {
  /**
   * Used for queues this process has not seen a Queue instance of (e.g. records written by
   * another process): bullmq's `ConnectionOptions`, or an ioredis instance (left open).
   */
  connection?: StatusConnection;
  /** Snapshots `progress` and `returnValue` (taskscope's serializer). */
  serialize: SerializeValue;
  /**
   * How long a read may wait for Redis before its jobs are `unavailable`.
   * @defaultValue 2000
   */
  timeoutMs?: number;
}

export interface JobStatusReader {
  /** One status per ref, in order. Never rejects. */
  read(refs: JobRef[]): Promise<JobStatus[]>;
  /** Closes the connection the reader opened itself, if any. */
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 2000;
const NO_CONNECTION = 'no Redis connection is known for this queue (pass the bullmq.connection option)';

class TimeoutError extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`Redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Creates a reader of live job status. Each `read` groups the refs by the Redis client that can
 * reach them — the enqueueing Queue's own (`ref.source`, else one the instrumentation saw for
 * that queue), else `options.connection` — and sends one pipeline per client. It never throws:
 * Redis down, a timeout or an unknown queue become `unavailable` with a `reason`.
 *
 * @example
 * ```ts
 * const reader = createJobStatusReader({ serialize: createSerializer(), connection: { host: 'localhost', port: 6379 } });
 * const [status] = await reader.read([{ queue: 'emails', prefix: 'bull', jobId: '12' }]);
 * await reader.close();
 * ```
 */
export function createJobStatusReader(options: JobStatusReaderOptions): JobStatusReader {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let fallback: Promise<OpenedClient> | undefined;
  let closed = false;

  async function fallbackClient(): Promise<StatusClient | undefined> {
    if (options.connection === undefined || closed) return undefined;
    fallback ??= openConnection(options.connection, timeoutMs);
    try {
      const opened = await fallback;
      return opened.client;
    } catch (error) {
      fallback = undefined; // try again on the next read (ioredis missing is not transient, but cheap)
      throw error;
    }
  }

  async function clientFor(ref: JobRef): Promise<StatusClient | undefined> {
    const sources = [ref.source, findSource(ref.prefix, ref.queue)];
    for (const source of sources) {
      if (source === undefined || !isLiveSource(source)) continue;
      try {
        const client = await clientOfSource(source);
        if (client !== undefined) return client;
      } catch {
        // That queue's connection failed to open; the fallback connection may still work.
      }
    }
    return fallbackClient();
  }

  // At most one status read waits on a connection: polls of a Redis that stopped answering must
  // not pile commands onto the app's own connection.
  const inFlight = new WeakSet<StatusClient>();

  async function readGroup(client: StatusClient, refs: JobRef[], indexes: number[], out: JobStatus[]): Promise<void> {
    const pipeline = client.pipeline();
    for (const ref of refs) queueJobStateCommands(pipeline, ref);
    inFlight.add(client);
    let replies: Array<[Error | null, unknown]>;
    try {
      replies = (await pipeline.exec()) ?? [];
    } finally {
      inFlight.delete(client);
    }
    const now = Date.now();
    refs.forEach((ref, position) => {
      const mine = replies.slice(position * REPLIES_PER_JOB, (position + 1) * REPLIES_PER_JOB);
      out[indexes[position]!] = mine.length === REPLIES_PER_JOB
        ? decodeJobStatus(ref, mine, options.serialize, now)
        : unavailableStatus(ref, 'Redis gave no answer for this job');
    });
  }

  async function readAll(refs: JobRef[], out: JobStatus[]): Promise<void> {
    const groups = new Map<StatusClient, { refs: JobRef[]; indexes: number[] }>();
    const clients = await Promise.all(refs.map((ref) => clientFor(ref).catch((error: unknown) => error as Error)));
    clients.forEach((client, index) => {
      const ref = refs[index]!;
      if (client instanceof Error) out[index] = unavailableStatus(ref, `could not connect to Redis: ${reasonOf(client)}`);
      else if (client === undefined) out[index] = unavailableStatus(ref, NO_CONNECTION);
      else if (!isUsable(client)) out[index] = unavailableStatus(ref, unusableReason(client));
      else if (inFlight.has(client)) out[index] = unavailableStatus(ref, 'Redis has not answered the previous status read yet');
      else {
        const group = groups.get(client) ?? { refs: [], indexes: [] };
        group.refs.push(ref);
        group.indexes.push(index);
        groups.set(client, group);
      }
    });
    await Promise.all([...groups].map(async ([client, group]) => {
      try {
        await readGroup(client, group.refs, group.indexes, out);
      } catch (error) {
        group.refs.forEach((ref, position) => {
          out[group.indexes[position]!] = unavailableStatus(ref, `could not read from Redis: ${reasonOf(error)}`);
        });
      }
    }));
  }

  return {
    async read(refs) {
      const out: JobStatus[] = new Array(refs.length);
      let failure: string | undefined;
      try {
        await withTimeout(readAll(refs, out), timeoutMs);
      } catch (error) {
        // Groups that answered in time keep their answer; the rest are unavailable. Late answers
        // still land in `out`, but after this snapshot was taken.
        failure = error instanceof TimeoutError ? error.message : `could not read from Redis: ${reasonOf(error)}`;
      }
      return refs.map((ref, index) => out[index] ?? unavailableStatus(ref, failure ?? 'no answer'));
    },
    async close() {
      closed = true;
      const opened = fallback;
      fallback = undefined;
      if (opened === undefined) return;
      try {
        await (await opened).close();
      } catch {
        // It never opened; nothing to close.
      }
    },
  };
}
