import type { TestProject } from 'vitest/node';
import { startRedisServer, type PrivateRedis } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the test run's private redis-server, e.g. `redis://127.0.0.1:41234`. */
    redisUrl: string;
  }
}

let redis: PrivateRedis | undefined;

/** Starts one private Redis for the whole run; tests read its URL with `inject('redisUrl')`. */
export async function setup(project: TestProject): Promise<void> {
  redis = await startRedisServer();
  project.provide('redisUrl', redis.url);
}

export async function teardown(): Promise<void> {
  await redis?.stop();
}
