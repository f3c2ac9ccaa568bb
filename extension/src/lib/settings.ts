/** One prefix rewrite from a path as the server sees it to a path on the developer's machine. */
export interface PathMapping {
  from: string;
  to: string;
}

/** What the user can set in the panel. Stored in `storage.local` (tokens are never synced). */
export interface Settings {
  /** Per-origin shared token, sent as `X-Taskscope-Token`. */
  tokens: Record<string, string>;
  /** Per-origin project root, joined to stack frames whose `file` is relative. */
  projectRoots: Record<string, string>;
  /** Editor link template with `{path}`, `{line}` and `{column}`. */
  editorTemplate: string;
  /** Applied in order; the first matching prefix wins. */
  pathMappings: PathMapping[];
  /** Keep the request list across navigations. */
  preserveLog: boolean;
  /** List only requests that enqueued at least one job (hides pages, assets, API calls without jobs). */
  onlyWithJobs: boolean;
  /** Debug API mount point used for "Load recent". */
  prefix: string;
}

export const EDITOR_PRESETS: ReadonlyArray<{ label: string; template: string }> = [
  { label: 'VS Code', template: 'vscode://file/{path}:{line}:{column}' },
  { label: 'VS Code Insiders', template: 'vscode-insiders://file/{path}:{line}:{column}' },
  { label: 'Cursor', template: 'cursor://file/{path}:{line}:{column}' },
  { label: 'WebStorm', template: 'webstorm://open?file={path}&line={line}&column={column}' },
  { label: 'Sublime Text', template: 'subl://open?url=file://{path}&line={line}&column={column}' },
];

export const DEFAULT_SETTINGS: Settings = {
  tokens: {},
  projectRoots: {},
  editorTemplate: 'vscode://file/{path}:{line}:{column}',
  pathMappings: [],
  preserveLog: false,
  onlyWithJobs: false,
  prefix: '/__taskscope',
};

/** Fills missing or malformed fields of stored settings with defaults. */
export function normalizeSettings(stored: unknown): Settings {
  const s = (stored && typeof stored === 'object' ? stored : {}) as Partial<Settings>;
  const stringMap = (v: unknown): Record<string, string> =>
    Object.fromEntries(
      Object.entries(v && typeof v === 'object' ? v : {}).filter((e): e is [string, string] => typeof e[1] === 'string'),
    );
  return {
    tokens: stringMap(s.tokens),
    projectRoots: stringMap(s.projectRoots),
    editorTemplate: typeof s.editorTemplate === 'string' && s.editorTemplate ? s.editorTemplate : DEFAULT_SETTINGS.editorTemplate,
    pathMappings: Array.isArray(s.pathMappings)
      ? s.pathMappings.filter((m): m is PathMapping => typeof m?.from === 'string' && typeof m?.to === 'string')
      : [],
    preserveLog: s.preserveLog === true,
    onlyWithJobs: s.onlyWithJobs === true,
    prefix: typeof s.prefix === 'string' && s.prefix.startsWith('/') ? s.prefix.replace(/\/+$/, '') : DEFAULT_SETTINGS.prefix,
  };
}
