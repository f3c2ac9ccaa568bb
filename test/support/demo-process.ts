/**
 * Runs the demo as a user does (`npm run demo` from the repository root, in its own process
 * group like a terminal's foreground job) and inspects the processes it leaves.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';

// The demo is started exactly as docs/demo.md says: `npm run demo` from the repository root.
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Demo {
  child: ChildProcess;
  baseUrl: string;
  output: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnDemo(env: Record<string, string | undefined>, script = 'demo'): Omit<Demo, 'baseUrl'> {
  const child = spawn('npm', ['run', script], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    // Its own process group, like a terminal's foreground job, so Ctrl-C can be simulated.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = once(child, 'exit').then(([code, signal]) => ({ code, signal }) as Awaited<Demo['exit']>);
  return { child, output: () => output, exit };
}

/** Runs `npm run demo` and resolves with the URL it prints once it is ready. */
export async function startDemo(env: Record<string, string | undefined>): Promise<Demo> {
  const demo = spawnDemo(env);
  const ready = vi.waitFor(() => {
    const match = /Taskscope demo: open (http:\/\/localhost:\d+)/.exec(demo.output());
    if (!match) throw new Error(`demo not ready:\n${demo.output()}`);
    return match[1]!;
  }, { timeout: 50_000, interval: 100 });
  const exited = demo.exit.then(({ code }) => {
    throw new Error(`npm run demo exited with ${code} before it was ready:\n${demo.output()}`);
  });
  return { ...demo, baseUrl: await Promise.race([ready, exited]) };
}

/** Every process below `pid`, from `ps`. */
export function descendants(pid: number): { pid: number; command: string }[] {
  const rows = execFileSync('ps', ['-ww', '-A', '-o', 'pid=,ppid=,args=']).toString().trim().split('\n');
  const procs = rows.map((row) => {
    const [, child, parent, command] = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(row)!;
    return { pid: Number(child), ppid: Number(parent), command: command! };
  });
  const found: { pid: number; command: string }[] = [];
  const walk = (parent: number) => {
    for (const proc of procs.filter((p) => p.ppid === parent)) {
      found.push({ pid: proc.pid, command: proc.command });
      walk(proc.pid);
    }
  };
  walk(pid);
  return found;
}

/** The demo's own Node process: the innermost one running `file` (npm, sh and tsx wrap it). */
export function innermost(tree: { pid: number; command: string }[], file: string): number {
  return tree.filter((proc) => proc.command.includes(file)).at(-1)!.pid;
}

/** The processes of `procs` still running (zombies count as gone: they hold nothing). */
export function stillRunning(procs: { pid: number; command: string }[]): string[] {
  const rows = execFileSync('ps', ['-A', '-o', 'pid=,stat=']).toString().trim().split('\n');
  const alive = new Set(rows.map((row) => row.trim().split(/\s+/)).filter(([, stat]) => !stat!.startsWith('Z')).map(([pid]) => Number(pid)));
  return procs.filter((proc) => alive.has(proc.pid)).map((proc) => `${proc.pid} ${proc.command}`);
}

/** Last resort after a failed test: kill the demo's process group and any listed process. */
export function killAll(demo: { child: ChildProcess } | undefined, pids: number[]): void {
  const targets = [...(demo?.child.pid ? [-demo.child.pid] : []), ...pids];
  for (const target of targets) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
