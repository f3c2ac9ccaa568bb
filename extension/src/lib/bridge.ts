import type { TrackedResponse } from './headers.js';

/**
 * What the devtools page calls on the panel's window: only the devtools page learns when the
 * panel is shown or hidden, and it has been listening since DevTools opened.
 */
export interface PanelBridge {
  /** Responses seen before the panel's own listener was running. */
  handOff(hits: TrackedResponse[]): void;
  setVisible(visible: boolean): void;
}

/** The property of the panel's window that holds its bridge, once the panel script runs. */
export const BRIDGE_KEY = '__taskscopeBridge';
/** Where the devtools page leaves early responses when the panel script has not run yet. */
export const PENDING_KEY = '__taskscopePending';
