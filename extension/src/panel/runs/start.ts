import type { PanelController } from '../controller.js';
import { RunsController } from './runs-controller.js';
import { RunsViewState } from './runs-state.svelte.js';

/** The job-runs view's state and controller, as App.svelte hands them to the request views. */
export interface RunsView {
  state: RunsViewState;
  controller: RunsController;
}

/**
 * Creates the job-runs view (issue 11) over the panel's own fetcher and tokens; App.svelte then
 * feeds it the panel's requests (`controller.sync`) whenever they change.
 *
 * @example
 * ```ts
 * const runs = startRunsView(() => controller);
 * $effect(() => runs.controller.sync(panel.entries, panel.selectedId, panel.visible));
 * ```
 */
export function startRunsView(controllerOf: () => PanelController): RunsView {
  const state = new RunsViewState();
  const controller = new RunsController(state, {
    fetcher: (url, token) => controllerOf().fetcher(url, token),
    tokenFor: (origin) => controllerOf().tokenFor(origin),
  });
  return { state, controller };
}
