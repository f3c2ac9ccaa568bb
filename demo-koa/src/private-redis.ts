import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

/** A redis-server the demo started for itself: loopback only, nothing written to disk. */
export interface PrivateRedis {
  url: string;
  stop(): Promise<void>;
}

/** Thrown when there is no `redis-server` on PATH. */
export class RedisNotInstalledError extends Error {
  constructor() {
    super(
      'redis-server was not found on PATH.\n' +
        'Install it (Debian/Ubuntu: `sudo apt-get install redis-server`, macOS: `brew install redis`)\n' +
        'or point the demo at a Redis you already run: `REDIS_URL=redis://localhost:6379 npm run demo`.',
    );
    this.name = 'RedisNotInstalledError';
  }
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (typeof address !== 'object' || !address) throw new Error('Could not find a free port');
  return address.port;
}

/**
 * Starts `redis-server` from PATH on a free loopback port and resolves once it accepts
 * connections. Rejects with {@link RedisNotInstalledError} when there is none.
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', '/tmp'],
    // Its own process group: Ctrl-C in the terminal must not stop Redis before the workers
    // and queues that use it are closed. We stop it ourselves, last.
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  // Backstop for crashes: kill it when this process exits by any route other than SIGKILL.
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);

  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'ENOENT' ? new RedisNotInstalledError() : err);
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code}:\n${output}`)));
  });
  try {
    await ready;
  } catch (err) {
    process.removeListener('exit', killOnExit);
    child.kill('SIGTERM');
    throw err;
  }
  child.stdout.resume();
  child.stderr.resume();

  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
