/** Patches prototype methods once (marked, reference-counted), the way the BullMQ instrumentation does. */

export type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;
/** Builds the wrapper of one method; `state.active` turns it into a pass-through once undone. */
export type Wrap = (original: AnyFunction, state: { active: boolean }) => AnyFunction;

const PATCHED = Symbol.for('taskscope.ws.patched');

interface PatchState {
  users: number;
  restore: () => void;
}

/**
 * Wraps `methods` of `proto` unless this prototype is already wrapped (an own mark); every call
 * returns its own one-shot undo, and the originals come back once every caller has undone.
 *
 * @example
 * ```ts
 * const undo = patchPrototypeOnce(WebSocket.prototype, { send: (original) => function (...args) { return original.apply(this, args); } });
 * ```
 */
export function patchPrototypeOnce(proto: Record<PropertyKey, unknown>, methods: Record<string, Wrap>): () => void {
  let patch = Object.prototype.hasOwnProperty.call(proto, PATCHED) ? (proto[PATCHED] as PatchState) : undefined;
  if (patch === undefined) {
    const state = { active: true };
    const restores: Array<() => void> = [];
    for (const [method, wrap] of Object.entries(methods)) {
      const original = proto[method];
      if (typeof original !== 'function') continue;
      const hadOwn = Object.prototype.hasOwnProperty.call(proto, method);
      const wrapped = wrap(original as AnyFunction, state);
      Object.defineProperty(proto, method, { value: wrapped, writable: true, configurable: true, enumerable: false });
      restores.push(() => {
        // Another tracer wrapped on top of ours: leave it; `state.active` makes ours a pass-through.
        if (proto[method] !== wrapped) return;
        if (hadOwn) Object.defineProperty(proto, method, { value: original, writable: true, configurable: true, enumerable: false });
        else delete proto[method];
      });
    }
    const created: PatchState = {
      users: 0,
      restore: () => {
        state.active = false;
        restores.forEach((restore) => restore());
        delete proto[PATCHED];
      },
    };
    Object.defineProperty(proto, PATCHED, { value: created, configurable: true, enumerable: false });
    patch = created;
  }
  const current = patch;
  current.users += 1;
  let undone = false;
  return () => {
    if (undone) return;
    undone = true;
    current.users -= 1;
    if (current.users === 0) current.restore();
  };
}

/**
 * Replaces one method of one object (a socket) with `replacement` as an own, non-enumerable
 * property; the returned undo puts back exactly what was there.
 */
export function overrideOwn(target: object, method: string, replacement: AnyFunction): () => void {
  const own = Object.getOwnPropertyDescriptor(target, method);
  Object.defineProperty(target, method, { value: replacement, writable: true, configurable: true, enumerable: false });
  let undone = false;
  return () => {
    if (undone) return;
    undone = true;
    if ((target as Record<string, unknown>)[method] !== replacement) return;
    if (own) Object.defineProperty(target, method, own);
    else delete (target as Record<string, unknown>)[method];
  };
}
