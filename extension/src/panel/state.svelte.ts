import { filterEntries, type RequestEntry } from '../lib/record-store.js';
import { DEFAULT_SETTINGS, type Settings } from '../lib/settings.js';

/** The panel's shared state. Records are kept as raw (non-proxied) values: they can be large. */
export class PanelState {
  entries = $state.raw<RequestEntry[]>([]);
  selectedId = $state<string | null>(null);
  selectedSeq = $state<number | null>(null);
  filter = $state('');
  settings = $state.raw<Settings>(DEFAULT_SETTINGS);
  theme = $state<'light' | 'dark'>('light');
  visible = $state(true);
  /** Responses the inspected page finished, tracked or not: tells "no header yet" from "no traffic". */
  responsesSeen = $state(0);
  /** The origin of the inspected page's traffic, for "Load recent". */
  lastOrigin = $state<string | null>(null);
  /** A one-line message about a panel-wide action (e.g. "Load recent" failed). */
  notice = $state<string | null>(null);
  settingsOpen = $state(false);
  /** A passing confirmation, e.g. "Copied the record as JSON". */
  toast = $state<string | null>(null);
  /** Root directory each server reported for itself (loopback only), for editor links with no setting. */
  serverRoots = $state.raw<Record<string, string>>({});
  /** Page loads seen while Preserve log is on, to draw a line between them in the list. */
  navigations = $state.raw<Array<{ at: number; url: string }>>([]);
  /** Ticks every second while something is live, so running bars in the timeline grow. */
  now = $state(Date.now());

  visibleEntries = $derived(filterEntries(this.entries, this.filter, this.settings.onlyWithJobs));
  /** The request shown in the detail: only while the filter lets it be listed. */
  selected = $derived(this.visibleEntries.find((e) => e.hit.id === this.selectedId) ?? null);
  polling = $derived(this.entries.some((e) => e.polling));
}

/** Creates the state; the panel has one, tests make their own. */
export function createPanelState(): PanelState {
  return new PanelState();
}
