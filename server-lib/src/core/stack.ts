import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StackFrame } from '../protocol.js';
import { TraceCache, type TraceNode } from './trace-cache.js';

/** A captured call stack, formatted later by {@link formatCallSite}. Opaque to callers. */
export interface CallSite {
  readonly [callSiteBrand]: true;
}
declare const callSiteBrand: unique symbol;

export interface FormattedStack {
  /** The innermost application frame, or `null` when none is left. */
  origin: StackFrame | null;
  /** Application frames, innermost first. */
  stack: StackFrame[];
}

export interface FormatOptions {
  /**
   * Directory frame paths are made relative to, when inside it.
   * @defaultValue process.cwd()
   */
  cwd?: string;
  /**
   * Application frames kept.
   * @defaultValue 10
   */
  maxFrames?: number;
}

/** What a {@link CallSite} really is: the captured trace until formatted, then its frames. */
interface Site {
  // The object V8 captured the trace on; dropped once parsed, so the trace is not retained.
  holder: { stack?: unknown } | undefined;
  frames: StackFrame[] | undefined;
  cache: { key: string; formatted: FormattedStack } | undefined;
}

const DEFAULT_CAPTURE_FRAMES = 20;
/** Traces, files and paths remembered at most, each. */
const MAX_CACHED_TRACES = 5_000;
const DEFAULT_FORMAT_FRAMES = 10;
const EMPTY: FormattedStack = Object.freeze({ origin: null, stack: [] }) as FormattedStack;

// Taskscope's own files, from src or dist: this file is {package}/src/core/stack.ts or {package}/dist/core/stack.js.
const PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..') + path.sep;

/**
 * Captures the current call stack cheaply: V8 records the frames, nothing is turned into text
 * until {@link formatCallSite}. Meant for the enqueue hot path.
 *
 * @example
 * ```ts
 * const site = captureCallSite(30);
 * // … later, off the hot path:
 * formatCallSite(site).origin; // { file: 'src/routes/orders.ts', line: 45, column: 9, function: 'createOrder' }
 * ```
 */
export function captureCallSite(maxFrames = DEFAULT_CAPTURE_FRAMES, caller: Function = captureCallSite): CallSite {
  const site: Site = { holder: captureTrace(maxFrames, caller), frames: undefined, cache: undefined };
  return site as unknown as CallSite;
}

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
    if (!sites) return toFormatted(readFrames(holder).filter((frame) => isApplicationFile(frame.file)), options.cwd, options.maxFrames);
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

/**
 * Turns a captured stack into application frames: Node internals, `node_modules` and Taskscope's
 * own files are left out, paths are made relative to `cwd`. The result is cached on the site.
 * Never throws; an absent or unrecognisable stack gives no frames.
 *
 * @example
 * ```ts
 * const { origin, stack } = formatCallSite(site, { cwd: '/srv/app', maxFrames: 5 });
 * ```
 */
export function formatCallSite(site: CallSite, options: FormatOptions = {}): FormattedStack {
  const state = site as unknown as Site;
  try {
    const cwd = options.cwd ?? process.cwd();
    const maxFrames = options.maxFrames ?? DEFAULT_FORMAT_FRAMES;
    const key = `${maxFrames}\u0000${cwd}`;
    if (state.cache?.key === key) return state.cache.formatted;
    if (state.frames === undefined) {
      state.frames = readFrames(state.holder).filter((frame) => isApplicationFile(frame.file));
      state.holder = undefined;
    }
    const formatted = toFormatted(state.frames, cwd, maxFrames);
    state.cache = { key, formatted };
    return formatted;
  } catch {
    return EMPTY;
  }
}

/**
 * Does for a stack text what {@link formatCallSite} does for a captured site, e.g. for the
 * `stack` of an Error the app threw.
 *
 * @example
 * ```ts
 * formatStack(new Error().stack ?? '', { cwd: '/srv/app' }).origin;
 * ```
 */
export function formatStack(text: string, options: FormatOptions = {}): FormattedStack {
  try {
    const frames = parseStack(text).filter((frame) => isApplicationFile(frame.file));
    return toFormatted(frames, options.cwd ?? process.cwd(), options.maxFrames ?? DEFAULT_FORMAT_FRAMES);
  } catch {
    return EMPTY;
  }
}

function toFormatted(frames: StackFrame[], cwd: string, maxFrames: number): FormattedStack {
  const stack = frames.slice(0, Math.max(0, maxFrames)).map((frame) => ({ ...frame, file: displayPath(frame.file, cwd) }));
  return { origin: stack[0] ?? null, stack };
}

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

function readFrames(holder: { stack?: unknown } | undefined): StackFrame[] {
  if (!holder) return [];
  const appPrepare = Error.prepareStackTrace;
  const sites = structuredSites(holder, appPrepare);
  if (sites) return framesOfSites(sites, appPrepare);
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
const prepareIds = new WeakMap<object, number>();
let lastPrepareId = 0;
// The same trace formats differently under another formatter (a tool installed later).
function prepareId(prepare: Prepare | undefined): string {
  if (!prepare) return '';
  let id = prepareIds.get(prepare);
  if (id === undefined) prepareIds.set(prepare, (id = ++lastPrepareId));
  return `#${id}`;
}
const traceCache = new Map<string, StackFrame[]>();

/**
 * The application call sites of a trace, and a key of their positions (what tells two traces
 * apart): the script and its source offset, which V8 has at hand, where a line and column are
 * worked out from the source's line ends (the function name follows from the position).
 */
function applicationSites(sites: V8CallSite[]): { app: V8CallSite[]; key: string } {
  const app: V8CallSite[] = [];
  let key = '';
  for (const site of sites) {
    const file = site.getFileName?.();
    if (typeof file !== 'string' || !isApplicationRawFile(file)) continue;
    app.push(site);
    key += `${file}:${positionOf(site)}|`;
  }
  return { app, key };
}

function framesOfSites(sites: V8CallSite[], prepare: Prepare | undefined): StackFrame[] {
  const { app, key: sitesKey } = applicationSites(sites);
  const key = sitesKey + prepareId(prepare);
  const cached = traceCache.get(key);
  if (cached) return cached;
  const frames = formatSites(app, prepare).filter((frame) => isApplicationFile(frame.file));
  if (traceCache.size >= MAX_CACHED_TRACES) traceCache.clear();
  traceCache.set(key, frames);
  return frames;
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

function functionName(name: string | null): string | null {
  if (name === null) return null;
  const bare = name.replace(/ \[as [^\]]*\]$/, '');
  return bare === '' || bare === '<anonymous>' || bare === 'Object.<anonymous>' ? null : bare;
}

function toPath(file: string): string {
  if (!file.startsWith('file://')) return file;
  try {
    const pathname = decodeURIComponent(new URL(file).pathname);
    // file:///C:/app/x.js is a Windows path, whatever platform formats it.
    return /^\/[A-Za-z]:\//.test(pathname) ? pathname.slice(1).replaceAll('/', '\\') : pathname;
  } catch {
    return file;
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
