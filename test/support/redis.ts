import { inject } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** BullMQ connection options for the run's private Redis. */
export function redisConnection(): { host: string; port: number; maxRetriesPerRequest: null } {
  const url = new URL(inject('redisUrl'));
  return { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null };
}

/** A new ioredis client on the run's private Redis; close it with `quit()`. */
export function redisClient(): Redis {
  return new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
}

/** A queue name no other test uses, so tests never see each other's jobs. */
export function freshQueueName(label = 'q'): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}
