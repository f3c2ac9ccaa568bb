/**
 * Stack text, as V8 formats it (or as a tool that replaced `Error.prepareStackTrace` does, e.g.
 * with source-mapped positions), turned into frames.
 */
import type { StackFrame } from '../protocol.js';

/**
 * Parses a V8 stack text into frames, keeping every frame it recognises (no filtering) with
 * absolute paths; lines that are not frames (the message, `at <anonymous>`, `at native`) are skipped.
 *
 * @example
 * ```ts
 * parseStack('Error\n    at createOrder (/srv/app/src/orders.ts:45:9)');
 * // [{ file: '/srv/app/src/orders.ts', line: 45, column: 9, function: 'createOrder' }]
 * ```
 */
export function parseStack(text: string): StackFrame[] {
  const frames: StackFrame[] = [];
  for (const line of text.split('\n')) {
    const frame = parseStackLine(line);
    if (frame) frames.push(frame);
  }
  return frames;
}

/**
 * Parses one line of a V8 stack: `at fn (file:l:c)`, `at file:l:c`, `at async fn (…)`,
 * `at new Foo (…)`, `at Class.method [as alias] (…)`, eval frames (the eval call's position).
 *
 * @example
 * ```ts
 * parseStackLine('    at async Server.handle [as run] (file:///srv/app/a.js:3:7)');
 * // { file: '/srv/app/a.js', line: 3, column: 7, function: 'Server.handle' }
 * ```
 */
export function parseStackLine(line: string): StackFrame | null {
  const text = line.trim();
  if (!text.startsWith('at ')) return null;
  let rest = text.slice(3);
  if (rest.startsWith('async ')) rest = rest.slice(6);
  let name: string | null = null;
  let location = rest;
  const call = /^(.*?) \((.*)\)$/.exec(rest);
  if (call) {
    name = call[1]!;
    location = call[2]!;
  }
  if (location.startsWith('eval at ')) {
    // `eval at outer (file:1:2), <anonymous>:3:4`: where eval was called is the useful position.
    const inner = /\(([^()]*:\d+:\d+)\)/.exec(location);
    if (!inner) return null;
    location = inner[1]!;
  }
  const position = /^(.*):(\d+):(\d+)$/.exec(location);
  if (!position || position[1] === '') return null;
  return { file: toPath(position[1]!), line: Number(position[2]), column: Number(position[3]), function: functionName(name) };
}

/** A V8 function name as the panel shows it: no `[as alias]`, `null` for anonymous code. */
export function functionName(name: string | null): string | null {
  if (name === null) return null;
  const bare = name.replace(/ \[as [^\]]*\]$/, '');
  return bare === '' || bare === '<anonymous>' || bare === 'Object.<anonymous>' ? null : bare;
}

/** A frame's file as a path: `file://` URLs decoded (Windows drive letters included), anything else as it is. */
export function toPath(file: string): string {
  if (!file.startsWith('file://')) return file;
  try {
    const pathname = decodeURIComponent(new URL(file).pathname);
    // file:///C:/app/x.js is a Windows path, whatever platform formats it.
    return /^\/[A-Za-z]:\//.test(pathname) ? pathname.slice(1).replaceAll('/', '\\') : pathname;
  } catch {
    return file;
  }
}
