import type { QueueSettings } from './queues.js';

/**
 * BullMQ settings for a Redis URL. Workers need `maxRetriesPerRequest: null` so their
 * blocking commands wait out a Redis restart instead of failing.
 */
export function queueSettings(redisUrl: string, prefix: string): QueueSettings {
  return { connection: { url: redisUrl, maxRetriesPerRequest: null }, prefix };
}
