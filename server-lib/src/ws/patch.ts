/** Patches prototype methods once (marked, reference-counted), the way the BullMQ instrumentation does. */
import { installOnce, replaceMethod, type AnyFunction } from '../core/patch-once.js';

export type { AnyFunction };
/** Builds the wrapper of one method; `state.active` turns it into a pass-through once undone. */
export type Wrap = (original: AnyFunction, state: { active: boolean }) => AnyFunction;

const PATCHED = Symbol.for('taskscope.ws.patched');

/**
 * Wraps `methods` of `proto` unless this prototype is already wrapped (an own mark); every call
 * returns its own one-shot undo, and the originals come back once every caller has undone.
 *
 * @example
 * ```ts
 * const undo = patchPrototypeOnce(WebSocket.prototype, { send: (original) => function (...args) { return original.apply(this, args); } });
 * ```
 */
export function patchPrototypeOnce(proto: object, methods: Record<string, Wrap>): () => void {
  return installOnce(proto, PATCHED, () => {
    const state = { active: true };
    const undos = Object.entries(methods).map(([method, wrap]) => replaceMethod(proto, method, (original) => wrap(original, state)));
    return () => {
      state.active = false;
      undos.forEach((undo) => undo());
    };
  });
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
