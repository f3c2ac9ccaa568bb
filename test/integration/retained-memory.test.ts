import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { freshQueueName } from '../support/redis.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/retained-memory.ts', import.meta.url));
const MB = 1024 * 1024;
// Room for what a process's heap does between two readings (code, caches, BullMQ's connection).
const SLACK = 3 * MB;

// Each scenario runs in a fresh process with --expose-gc, tracked and bare.
function run(scenario: string, mode: 'tracked' | 'bare'): { retained: number; storeBytes: number } {
  const { hostname, port } = new URL(inject('redisUrl'));
  const args = ['--expose-gc', '--import', 'tsx', '--conditions=source', FIXTURE, hostname, port, freshQueueName(scenario), scenario, mode];
  const child = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000 });
  if (child.status !== 0) throw new Error(`fixture failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!);
}

describe('memory a tracked request leaves behind', () => {
  it.each([
    ['big-strings', '1.5 MB strings in job data, read back through the debug API'],
    ['long-timers', 'timers the app leaves running, holding each request\'s async context'],
    ['closures', '5 MB closures around enqueues, while the request still runs'],
    ['long-keys', 'job data with 1 MB keys, read back through the debug API'],
    ['long-query-keys', 'request URLs with a 12 KB query parameter name'],
  ])('stays within 2× of what the store counts: %s (%s)', (scenario) => {
    const bare = run(scenario, 'bare');
    const tracked = run(scenario, 'tracked');
    expect(tracked.retained - bare.retained).toBeLessThanOrEqual(2 * tracked.storeBytes + SLACK);
  });
});
