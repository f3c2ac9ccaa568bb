import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { freshQueueName } from '../support/redis.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/unhandled-add.ts', import.meta.url));

// vitest itself fails a run on an unhandled rejection, so the app runs in a child process.
function run(tracked: boolean): { unhandled: string | null } {
  const { hostname, port } = new URL(inject('redisUrl'));
  const args = ['--import', 'tsx', '--conditions=source', FIXTURE, hostname, port, freshQueueName('forgotten')];
  const child = spawnSync(process.execPath, tracked ? [...args, '--tracked'] : args, { encoding: 'utf8', timeout: 20_000 });
  if (child.status !== 0) throw new Error(`fixture failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!);
}

describe('queue.add() rejecting inside a tracked request', () => {
  it('is still an unhandled rejection when the app neither awaits nor catches it, as without Taskscope', () => {
    const bare = run(false);
    expect(bare.unhandled).toBe("JobId cannot be '0' or start with '0:'");
    expect(run(true)).toEqual(bare);
  });
});
