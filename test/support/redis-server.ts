import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { once } from 'node:events';

/** A private redis-server on a free loopback port, keeping nothing on disk. */
export interface PrivateRedis {
  url: string;
  port: number;
  /** Freezes the server (SIGSTOP): connections stay open, nothing answers. */
  pause(): void;
  /** Thaws a paused server (SIGCONT). */
  resume(): void;
  stop(): Promise<void>;
}

/**
 * A loopback port where no Redis ever answers, for "Redis is down": port 1 (tcpmux, unused for
 * decades), below the ephemeral range that {@link freePort}, and so every Redis the suite starts,
 * takes its ports from. A port that is merely free when a test picks it can be handed to a Redis
 * that another test file starts in parallel a moment later, and the "down" Redis would answer.
 */
export const REFUSED_PORT = 1;

/** Finds a free TCP port on 127.0.0.1 by binding to port 0. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * Starts `redis-server` from PATH on a free port and resolves once it accepts connections.
 *
 * @example
 * ```ts
 * const redis = await startRedisServer();
 * const queue = new Queue('q', { connection: { url: redis.url } });
 * await redis.stop();
 * ```
 */
export async function startRedisServer(): Promise<PrivateRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', '/tmp'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (err) => reject(new Error(`Could not start redis-server (is it installed?): ${err.message}`)));
    child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code}:\n${output}`)));
  });
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
