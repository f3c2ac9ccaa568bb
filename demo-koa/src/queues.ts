import { FlowProducer, Queue, type ConnectionOptions } from 'bullmq';

/** Every queue of the demo shop. Workers (workers.ts) consume the same list. */
export const QUEUE_NAMES = [
  'emails',
  'fraud',
  'reports',
  'billing',
  'warehouse',
  'shipping',
  'analytics',
  'search',
  'maintenance',
  'support',
] as const;

export type QueueName = (typeof QUEUE_NAMES)[number];

/** Where BullMQ keeps its keys: one Redis and one key prefix for the web app and the workers. */
export interface QueueSettings {
  connection: ConnectionOptions;
  prefix: string;
}

/** The shop's producers: one `Queue` per name and a `FlowProducer` for jobs with children. */
export interface ShopQueues extends Record<QueueName, Queue> {
  flows: FlowProducer;
}

/** Creates the shop's queues. Close them with {@link closeShopQueues}. */
export function createShopQueues(settings: QueueSettings): ShopQueues {
  const entries = QUEUE_NAMES.map((name) => {
    const queue = new Queue(name, settings);
    // An EventEmitter 'error' without a listener would crash the process on a Redis hiccup.
    queue.on('error', (err) => console.error(`queue ${name}: ${err.message}`));
    return [name, queue] as const;
  });
  const flows = new FlowProducer(settings);
  flows.on('error', (err) => console.error(`flow producer: ${err.message}`));
  return { ...(Object.fromEntries(entries) as Record<QueueName, Queue>), flows };
}

/** Closes every queue and the flow producer, releasing their Redis connections. */
export async function closeShopQueues(queues: ShopQueues): Promise<void> {
  await Promise.all([...QUEUE_NAMES.map((name) => queues[name].close()), queues.flows.close()]);
}
