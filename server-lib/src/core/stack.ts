/**
 * Call sites of enqueues: V8's trace captured on the hot path ({@link captureTrace}), its
 * application frames read later ({@link formatTrace}), cached by the positions of those frames.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StackFrame } from '../protocol.js';
import { functionName, parseStack, toPath } from './stack-text.js';
import { TraceCache, type TraceNode } from './trace-cache.js';

/** The application frames of a captured trace. */
export interface FormattedStack {
  /** The innermost application frame, or `null` when none is left. */
  origin: StackFrame | null;
  /** Application frames, innermost first. */
  stack: StackFrame[];
}

/** Traces, files and paths remembered at most, each. */
const MAX_CACHED_TRACES = 5_000;
const EMPTY: FormattedStack = Object.freeze({ origin: null, stack: [] }) as FormattedStack;

// Taskscope's own files, from src or dist: this file is {package}/src/core/stack.ts or {package}/dist/core/stack.js.
const PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..') + path.sep;

/**
 * V8's trace of at most `maxFrames` frames below `caller`, on an object of its own: the capture
 * only, nothing read or formatted yet (what {@link formatTrace} does).
 *
 * @example
 * ```ts
 * const holder = captureTrace(6, wrapper);
 * ```
 */
export function captureTrace(maxFrames: number, caller: Function): { stack?: unknown } {
  const holder: { stack?: unknown } = {};
  const limit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = maxFrames;
    // Frames above `caller` (Taskscope's own) are skipped by V8 and not walked against the limit.
    Error.captureStackTrace(holder, caller);
  } catch {
    // A frozen Error (hardened environments) still captures, with the app's limit.
    Error.captureStackTrace(holder, caller);
  } finally {
    if (Error.stackTraceLimit !== limit) Error.stackTraceLimit = limit;
  }
  return holder;
}

/**
 * The application frames of a trace {@link captureTrace} took. Never throws.
 *
 * @example
 * ```ts
 * const formatted = formatTrace(captureTrace(6, wrapper), { maxFrames: 6, cwd: process.cwd() });
 * ```
 */
export function formatTrace(holder: { stack?: unknown }, options: { maxFrames: number; cwd: string }): FormattedStack {
  try {
    const prepare = Error.prepareStackTrace;
    const sites = structuredSites(holder, prepare);
    if (!sites) return toFormatted(textFrames(holder).filter((frame) => isApplicationFile(frame.file)), options.cwd, options.maxFrames);
    const known = cachedTrace(sites, options, prepare, false)?.value;
    if (known !== undefined) return known as FormattedStack;
    const frames = formatSites(sites.filter(isApplicationSite), prepare).filter((frame) => isApplicationFile(frame.file));
    const formatted = freeze(toFormatted(frames, options.cwd, options.maxFrames));
    cachedTrace(sites, options, prepare, true)!.value = formatted;
    return formatted;
  } catch {
    return EMPTY;
  }
}

// Formatted traces by the positions of their application frames (the function name follows from
// the position), per formatting context: the options object and the formatter in use.
const traces = new TraceCache(MAX_CACHED_TRACES);

function cachedTrace(sites: V8CallSite[], options: object, prepare: Prepare | undefined, create: boolean): TraceNode | undefined {
  let node: TraceNode | undefined = traces.root(options, prepare);
  for (const site of sites) {
    const file = site.getFileName?.();
    if (typeof file !== 'string' || !isApplicationRawFile(file)) continue;
    node = traces.step(node, file, positionOf(site), create);
    if (node === undefined) return undefined;
  }
  return node;
}

function isApplicationSite(site: V8CallSite): boolean {
  const file = site.getFileName?.();
  return typeof file === 'string' && isApplicationRawFile(file);
}

// V8's source offset of the call, which it has at hand; a line and column are worked out from the source's line ends.
function positionOf(site: V8CallSite): number | string {
  return typeof site.getPosition === 'function' ? site.getPosition() : `${site.getLineNumber()}:${site.getColumnNumber()}`;
}

function freeze(formatted: FormattedStack): FormattedStack {
  for (const frame of formatted.stack) Object.freeze(frame);
  Object.freeze(formatted.stack);
  return Object.freeze(formatted);
}

function toFormatted(frames: StackFrame[], cwd: string, maxFrames: number): FormattedStack {
  const stack = frames.slice(0, Math.max(0, maxFrames)).map((frame) => ({ ...frame, file: displayPath(frame.file, cwd) }));
  return { origin: stack[0] ?? null, stack };
}

// Where V8's call sites cannot be read (a frozen `Error`), the stack text can.
function textFrames(holder: { stack?: unknown }): StackFrame[] {
  const stack = holder.stack;
  if (typeof stack === 'string') return parseStack(stack);
  // An app's Error.prepareStackTrace may hand back V8's structured call sites as they are.
  if (Array.isArray(stack)) return stack.map(fromV8CallSite).filter((frame): frame is StackFrame => frame !== null);
  return [];
}

/**
 * V8's call sites of a captured trace, read before anything is turned into text. Formatting
 * the whole trace as a string (and source-mapping every frame of it) costs ~20 µs; reading the
 * call sites and formatting only the application frames of an unseen trace costs a fraction.
 */
function structuredSites(holder: { stack?: unknown }, appPrepare: Prepare | undefined): V8CallSite[] | undefined {
  collected = undefined;
  try {
    Error.prepareStackTrace = collectSites;
    if (Error.prepareStackTrace !== collectSites) return undefined;
    void holder.stack;
  } catch {
    return undefined;
  } finally {
    // Restoring `undefined` is right: it brings back V8's own formatting.
    if (Error.prepareStackTrace === collectSites) Error.prepareStackTrace = appPrepare as Prepare;
  }
  const sites = collected;
  collected = undefined;
  return sites;
}

// Module-level rather than a closure per call: formatting runs for every task.
let collected: V8CallSite[] | undefined;
function collectSites(_error: Error, callSites: NodeJS.CallSite[]): string {
  collected = callSites as unknown as V8CallSite[];
  return '';
}

// The environment's formatter (source maps of tsx, vitest, source-map-support…) is used for the
// application frames of traces not seen before.
type Prepare = NonNullable<typeof Error.prepareStackTrace>;

const appFileCache = new Map<string, boolean>();
// A trace has a dozen frames from a handful of files: decide each file once, not per frame.
function isApplicationRawFile(file: string): boolean {
  let known = appFileCache.get(file);
  if (known === undefined) {
    known = isApplicationFile(toPath(file));
    if (appFileCache.size >= MAX_CACHED_TRACES) appFileCache.clear();
    appFileCache.set(file, known);
  }
  return known;
}

function formatSites(sites: V8CallSite[], prepare: Prepare | undefined): StackFrame[] {
  if (sites.length === 0) return [];
  if (prepare) {
    try {
      const text = prepare(new Error(), sites as unknown as NodeJS.CallSite[]);
      if (typeof text === 'string') return parseStack(text);
    } catch {
      // Positions the tool would have mapped may point at the wrong lines: show none.
      return [];
    }
  }
  return sites.map(fromV8CallSite).filter((frame): frame is StackFrame => frame !== null);
}

interface V8CallSite {
  getFileName(): string | null | undefined;
  /** V8's source offset of the call (not in Node's typings; absent in some runtimes). */
  getPosition?(): number;
  getLineNumber(): number | null;
  getColumnNumber(): number | null;
  getFunctionName(): string | null;
}

function fromV8CallSite(site: unknown): StackFrame | null {
  try {
    const callSite = site as V8CallSite;
    const file = callSite.getFileName();
    const line = callSite.getLineNumber();
    const column = callSite.getColumnNumber();
    if (typeof file !== 'string' || typeof line !== 'number' || typeof column !== 'number') return null;
    return { file: toPath(file), line, column, function: functionName(callSite.getFunctionName()) };
  } catch {
    return null;
  }
}

/** An application frame: not Node's, not a dependency's, not Taskscope's. */
export function isApplicationFile(file: string): boolean {
  if (file.startsWith('node:') || file.startsWith('internal/') || file === 'native') return false;
  if (file.includes('/node_modules/') || file.includes('\\node_modules\\')) return false;
  return !file.startsWith(PACKAGE_DIR);
}

const displayPaths = new Map<string, string>();
// Every task of a request shows the same few files: work each path out once.
function displayPath(file: string, cwd: string): string {
  const key = `${cwd}\u0000${file}`;
  let shown = displayPaths.get(key);
  if (shown === undefined) {
    shown = relativeDisplayPath(file, cwd);
    if (displayPaths.size >= MAX_CACHED_TRACES) displayPaths.clear();
    displayPaths.set(key, shown);
  }
  return shown;
}

function relativeDisplayPath(file: string, cwd: string): string {
  const windows = isWindowsPath(file);
  if (windows !== isWindowsPath(cwd)) return file;
  const paths = windows ? path.win32 : path.posix;
  if (!paths.isAbsolute(file)) return file;
  const relative = paths.relative(cwd, file);
  if (relative === '' || relative.startsWith('..') || paths.isAbsolute(relative)) return file;
  return windows ? relative.replaceAll('\\', '/') : relative;
}

function isWindowsPath(file: string): boolean {
  return /^[A-Za-z]:[\\/]/.test(file) || file.startsWith('\\\\');
}
