import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

// A bullmq whose package.json has an "exports" map with an `import` entry (bullmq 5) loads a
// second copy of its classes for ESM apps; `require` only reaches the CommonJS one. bullmq 6.7
// has no "exports", so both module systems share dist/cjs and this finds nothing more.
/**
 * The file an ESM `import 'bullmq'` loads, when it is not the one `require` loads.
 *
 * @example
 * ```ts
 * const esm = esmEntryOfBullMQ(createRequire(import.meta.url));
 * ```
 */
export function esmEntryOfBullMQ(requireFrom: NodeJS.Require): string | undefined {
  const main = requireFrom.resolve('bullmq');
  let dir = dirname(main);
  for (let depth = 0; depth < 6; depth += 1, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; exports?: unknown };
      if (pkg.name !== 'bullmq') continue;
      const root = (pkg.exports as Record<string, unknown> | undefined)?.['.'] as Record<string, unknown> | undefined;
      const entry = root?.import;
      const file = typeof entry === 'string' ? entry : (entry as { default?: unknown } | undefined)?.default;
      return typeof file === 'string' && join(dir, file) !== main ? join(dir, file) : undefined;
    } catch {
      // Not this directory; keep walking up.
    }
  }
  return undefined;
}

