import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { freePort } from '../support/redis-server.js';

/** A private redis-server the fault soak can pause, resume, kill and start again on its port. */
export interface FaultyRedis {
  readonly port: number;
  readonly url: string;
  /** SIGSTOP: the server keeps its connections open and answers nothing. */
  pause(): void;
  /** SIGCONT: answers again, commands sent meanwhile included. */
  resume(): void;
  /** SIGKILL: connections reset, data gone (nothing is kept on disk). */
  kill(): Promise<void>;
  /** Starts a fresh, empty server on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts `redis-server` on a free loopback port (never 6379), keeping nothing on disk, with its
 * process at hand for fault injection.
 *
 * @example
 * ```ts
 * const redis = await startFaultyRedis();
 * redis.pause(); // … load …
 * redis.resume();
 * ```
 */
export async function startFaultyRedis(): Promise<FaultyRedis> {
  const port = await freePort();
  let child = await launch(port);
  const redis: FaultyRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    pause: () => { child.kill('SIGSTOP'); },
    resume: () => { child.kill('SIGCONT'); },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
    async restart() {
      await redis.kill();
      child = await launch(port);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      await exited;
    },
  };
  return redis;
}

async function launch(port: number): Promise<ChildProcess> {
  // Just killed on this port: the kernel may still hold it for a moment.
  for (let attempt = 0; ; attempt++) {
    try {
      return await launchOnce(port);
    } catch (error) {
      if (attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function launchOnce(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', '/tmp'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        child.off('exit', onExit);
        child.stdout!.resume();
        child.stderr!.resume();
        resolve(child);
      }
    };
    const onExit = (code: number | null) => reject(new Error(`redis-server on ${port} exited with ${code}:\n${output}`));
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', reject);
    child.once('exit', onExit);
  });
}
