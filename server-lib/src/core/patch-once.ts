/**
 * How Taskscope patches other libraries (BullMQ, ws): once per object, marked, reference-counted
 * and undoable, leaving in place any wrapper another tool put on top of ours.
 */

export type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;
type Holder = Record<PropertyKey, unknown>;

interface Installed {
  users: number;
  uninstall: () => void;
}

/**
 * Runs `install` on `holder` unless it already ran there (an own property under `mark`, so a
 * subclass's prototype, which inherits the mark, is still installed on). Every call returns its
 * own one-shot undo; the install's own undo runs once every caller has undone — so a test that
 * instruments and undoes never removes what the app's middleware installed.
 *
 * @example
 * ```ts
 * const undo = installOnce(Queue.prototype, Symbol.for('taskscope.bullmq.patched'), () => replaceMethod(Queue.prototype, 'add', wrap));
 * ```
 */
export function installOnce(holder: object, mark: symbol, install: () => () => void): () => void {
  const target = holder as Holder;
  let installed = Object.prototype.hasOwnProperty.call(target, mark) ? (target[mark] as Installed) : undefined;
  if (installed === undefined) {
    const uninstall = install();
    const created: Installed = {
      users: 0,
      uninstall: () => {
        uninstall();
        delete target[mark];
      },
    };
    Object.defineProperty(target, mark, { value: created, configurable: true, enumerable: false });
    installed = created;
  }
  const current = installed;
  current.users += 1;
  let undone = false;
  return () => {
    if (undone) return;
    undone = true;
    current.users -= 1;
    if (current.users === 0) current.uninstall();
  };
}

/**
 * Replaces `holder[method]` with `wrap(original)` (same name and arity); the undo restores the
 * original unless another tool has wrapped on top of ours since — then theirs stays, and ours
 * should have been made a pass-through by its own state. A missing method is left alone.
 *
 * @example
 * ```ts
 * const undo = replaceMethod(Job.prototype, 'asJSON', (original) => function (...args) { return original.apply(this, args); });
 * ```
 */
export function replaceMethod(holder: object, method: string, wrap: (original: AnyFunction) => AnyFunction): () => void {
  const target = holder as Holder;
  const original = target[method];
  if (typeof original !== 'function') return () => {};
  const hadOwn = Object.prototype.hasOwnProperty.call(target, method);
  const wrapped = wrap(original as AnyFunction);
  Object.defineProperty(wrapped, 'name', { value: original.name });
  Object.defineProperty(wrapped, 'length', { value: original.length });
  Object.defineProperty(target, method, { value: wrapped, writable: true, configurable: true, enumerable: false });
  return () => {
    if (target[method] !== wrapped) return;
    if (hadOwn) Object.defineProperty(target, method, { value: original, writable: true, configurable: true, enumerable: false });
    else delete target[method];
  };
}
