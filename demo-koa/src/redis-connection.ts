import type { QueueSettings } from './queues.js';

/**
 * BullMQ settings for a Redis URL. Workers need `maxRetriesPerRequest: null` so their
 * blocking commands wait out a Redis restart instead of failing.
 */
export function queueSettings(redisUrl: string, prefix: string): QueueSettings {
  return { connection: { url: redisUrl, maxRetriesPerRequest: null }, prefix };
}

/** The URL with its password masked, for printing. */
export function redactPassword(redisUrl: string): string {
  try {
    const url = new URL(redisUrl);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return redisUrl;
  }
}
