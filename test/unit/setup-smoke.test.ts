import { describe, expect, it } from 'vitest';
import { redisClient } from '../support/redis.js';

describe('test setup', () => {
  it('starts a private redis-server for the run', async () => {
    const client = redisClient();
    expect(await client.ping()).toBe('PONG');
    expect(client.options.port).not.toBe(6379);
    await client.quit();
  });
});
