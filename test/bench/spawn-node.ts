import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { NodeBinary } from './node-versions.js';

/** A bench file next to this one, as a path to give to {@link spawnBench}. */
export const benchFile = (name: string): string => fileURLToPath(new URL(`./${name}`, import.meta.url));

/**
 * Starts one of the bench's TypeScript files in a fresh process of the given Node binary, so what
 * is measured runs on that Node and never shares a process with another variant. tsx loads the
 * bench's own files; taskscope comes from its build, `dist/`, as users run it (`npm run bench`
 * builds it first).
 */
export function spawnBench(node: NodeBinary, file: string, args: readonly string[], nodeFlags: readonly string[] = []): ChildProcess {
  return spawn(node.path, [...nodeFlags, '--import', 'tsx', file, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/**
 * Runs a bench file to its end and parses the last line it printed as JSON: its result.
 *
 * @example
 * ```ts
 * const samples = await runBench<number[]>(node, benchFile('enqueue-worker.ts'), ['bare', host, port]);
 * ```
 */
export async function runBench<T>(node: NodeBinary, file: string, args: readonly string[], nodeFlags: readonly string[] = []): Promise<T> {
  const child = spawnBench(node, file, args, nodeFlags);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const [code] = (await once(child, 'exit')) as [number | null];
  try {
    if (code !== 0) throw new Error(`exit code ${code}`);
    return JSON.parse(output.trim().split('\n').pop()!) as T;
  } catch (error) {
    throw new Error(`${file} ${args.join(' ')} on node ${node.version} failed: ${(error as Error).message}\n${output.slice(-2000)}`);
  }
}

/** Resolves with the `port=<n>` a server process prints once listening. */
export function portOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const port = /port=(\d+)/.exec(output)?.[1];
      if (port) resolve(Number(port));
    });
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}: ${output}`)));
  });
}

/** Stops a server process started by {@link spawnBench} and waits for it to exit. */
export async function stopBench(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** A bench process that answers one line on stdout per command line on stdin. */
export interface BenchSession {
  /** Sends one command and resolves with the next line the process prints. */
  ask(command: string): Promise<string>;
  /** Waits for the next line without sending anything (e.g. `ready`). */
  next(): Promise<string>;
  /** Sends `end`, waits for the process to exit 0. */
  end(): Promise<void>;
  kill(): void;
}

/**
 * Starts a bench file that reads commands on stdin (see `enqueue-worker.ts`), on the given Node.
 *
 * @example
 * ```ts
 * const session = startSession(node, benchFile('enqueue-worker.ts'), ['bare', host, port]);
 * await session.next(); // 'ready'
 * const samples = JSON.parse(await session.ask('run 100'));
 * await session.end();
 * ```
 */
export function startSession(node: NodeBinary, file: string, args: readonly string[]): BenchSession {
  const child = spawn(node.path, ['--import', 'tsx', file, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiting: { resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  let buffer = '';
  let exited: Error | undefined;
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      const waiter = waiting.shift();
      if (waiter) waiter.resolve(line);
      else lines.push(line);
    }
  });
  const exit = once(child, 'exit');
  child.once('exit', (code) => {
    exited = new Error(`${file} ${args.join(' ')} on node ${node.version} exited with ${code}`);
    for (const waiter of waiting.splice(0)) waiter.reject(exited);
  });
  const next = () => new Promise<string>((resolve, reject) => {
    const line = lines.shift();
    if (line !== undefined) resolve(line);
    else if (exited) reject(exited);
    else waiting.push({ resolve, reject });
  });
  return {
    next,
    ask(command) {
      child.stdin!.write(`${command}\n`);
      return next();
    },
    async end() {
      child.stdin!.end('end\n');
      const [code] = (await exit) as [number | null];
      if (code !== 0) throw new Error(`${file} ${args.join(' ')} on node ${node.version} exited with ${code}`);
    },
    kill: () => { child.kill('SIGKILL'); },
  };
}
