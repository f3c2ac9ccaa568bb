import type { CapturedTrace } from './scope.js';
import { formatTrace, type FormattedStack } from './stack.js';
import { deferWork } from './deferred-work.js';

const EMPTY: FormattedStack = Object.freeze({ origin: null, stack: Object.freeze([]) as unknown as FormattedStack['stack'] });

/**
 * The call site of one enqueue: captured in the call (the stack exists only then), read with the
 * next batch of deferred work (deferred-work.ts: about a millisecond later, at most 256 waiting)
 * or at once when something asks for it first. So reading V8's call sites is not on the path of
 * the app's `await queue.add()`, and the trace (V8's frames hold closures and receivers) is let
 * go within a millisecond.
 *
 * @example
 * ```ts
 * const site = deferStack(captureTrace(6, wrapper), { maxFrames: 6, cwd: process.cwd() });
 * site.formatted.origin; // { file: 'src/routes/orders.ts', line: 45, column: 9, function: 'createOrder' }
 * ```
 */
export class DeferredStack {
  private holder: { stack?: unknown } | undefined;
  private result: FormattedStack | undefined;
  private targets: Array<{ site: DeferredStack | FormattedStack | undefined }> | undefined;

  constructor(holder: { stack?: unknown }, private readonly options: { maxFrames: number; cwd: string }) {
    this.holder = holder;
  }

  /**
   * Where the result goes once read: each target's `site` becomes the (shared) frames, so a
   * task keeps no object of its own for its call site.
   */
  resolveInto(targets: Array<{ site: DeferredStack | FormattedStack | undefined }>): void {
    if (this.result === undefined) this.targets = targets;
    else for (const target of targets) target.site = this.result;
  }

  /** The application frames, read from the trace the first time they are asked for. */
  get formatted(): FormattedStack {
    if (this.result === undefined) {
      const holder = this.holder;
      this.holder = undefined;
      const result = (this.result = holder === undefined ? EMPTY : formatTrace(holder, this.options));
      const targets = this.targets;
      this.targets = undefined;
      if (targets !== undefined) for (const target of targets) if (target.site === this) target.site = result;
    }
    return this.result;
  }
}

function read(site: DeferredStack): void {
  // `formatted` never throws: formatTrace catches everything.
  void site.formatted;
}

/**
 * Takes a trace the instrumentation captured (`captureTrace`) and reads it soon after (see
 * {@link DeferredStack}).
 *
 * @example
 * ```ts
 * entry.site = deferStack(captureTrace(6, wrapper), { maxFrames: 6, cwd: '/srv/app' });
 * ```
 */
export function deferStack(trace: CapturedTrace, options: { maxFrames: number; cwd: string }): DeferredStack {
  const site = new DeferredStack(trace, options);
  deferWork(read, site, undefined);
  return site;
}
