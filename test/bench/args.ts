/** The command line of `npm run bench`: which Node binaries, and how long to measure. */
export interface BenchArgs {
  /** `--quick`: fewer rounds and shorter phases, for a smoke run; the verdicts are indicative only. */
  quick: boolean;
  /** `--node 24` (repeatable, or `--node 20,24`): Node major versions to install and measure on. */
  nodeVersions: string[];
  /** `--only enqueue,requests,…`: run only these parts (all when empty). */
  only: string[];
}

/**
 * Parses `process.argv` after the script name. Unknown arguments stop the bench, so a typo
 * never silently measures something else.
 *
 * @example
 * ```ts
 * parseArgs(['--quick', '--node', '24']); // { quick: true, nodeVersions: ['24'], only: [] }
 * ```
 */
export function parseArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = { quick: false, nodeVersions: [], only: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`${name} needs a value`);
      return v.split(',').map((s) => s.trim()).filter(Boolean);
    };
    if (name === '--quick') args.quick = true;
    else if (name === '--node') args.nodeVersions.push(...value());
    else if (name === '--only') args.only.push(...value());
    else throw new Error(`Unknown argument ${arg}. Use --quick, --node <major>[,<major>…], --only <part>[,<part>…]`);
  }
  for (const v of args.nodeVersions) {
    if (!/^\d+$/.test(v)) throw new Error(`--node takes a major version like 24, got ${v}`);
  }
  return args;
}
