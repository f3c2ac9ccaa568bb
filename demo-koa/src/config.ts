/** Everything the demo reads from the environment, read once at start-up. */
export interface DemoConfig {
  /** HTTP port; `0` picks a free one. */
  port: number;
  /** Redis to use; `undefined` means "start a private redis-server". */
  redisUrl: string | undefined;
  /** Run the BullMQ workers inside the web process. */
  workers: boolean;
  /** BullMQ key prefix, so the demo's queues never mix with other apps' on a shared Redis. */
  queuePrefix: string;
}

/**
 * Reads the demo's settings from environment variables.
 *
 * - `PORT` (default 3000; `0` picks a free port)
 * - `REDIS_URL` (default: a private redis-server started for the demo)
 * - `DEMO_WORKERS=0` to run the web app without workers (see `npm run demo:worker`)
 * - `DEMO_QUEUE_PREFIX` (default `taskscope-demo`)
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env): DemoConfig {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`Expected PORT to be a port number (0-65535), got ${JSON.stringify(env.PORT)}`);
  }
  return {
    port,
    redisUrl: env.REDIS_URL || undefined,
    workers: env.DEMO_WORKERS !== '0',
    queuePrefix: env.DEMO_QUEUE_PREFIX || 'taskscope-demo',
  };
}
