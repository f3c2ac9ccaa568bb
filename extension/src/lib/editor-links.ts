import type { StackFrame } from 'taskscope/protocol';
import type { PathMapping } from './settings.js';

/** What an editor link needs besides the frame. */
export interface EditorLinkOptions {
  template: string;
  /** The app's working directory on the developer's machine (or in its container). */
  projectRoot: string | null;
  pathMappings: PathMapping[];
}

// Schemes a template must never produce: they would run code or read local data in the panel.
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'blob:', 'chrome:', 'chrome-extension:', 'moz-extension:']);

function isAbsolute(file: string): boolean {
  return file.startsWith('/') || /^[A-Za-z]:[\\/]/.test(file) || file.startsWith('\\\\');
}

function join(root: string, file: string): string {
  const separator = root.includes('\\') && !root.includes('/') ? '\\' : '/';
  return `${root.replace(/[\\/]+$/, '')}${separator}${file.replace(/^\.?[\\/]+/, '')}`;
}

/**
 * The absolute path of a frame's file on the developer's machine: `file://` URLs unwrapped,
 * relative paths joined to the project root, then the first matching path mapping applied.
 * Returns `null` for a relative path when no project root is set.
 */
export function resolveFramePath(file: string, projectRoot: string | null, pathMappings: PathMapping[]): string | null {
  let path = file;
  if (path.startsWith('file://')) {
    try {
      path = decodeURIComponent(new URL(path).pathname);
    } catch {
      return null;
    }
  }
  if (!isAbsolute(path)) {
    if (!projectRoot) return null;
    path = join(projectRoot, path);
  }
  for (const { from, to } of pathMappings) {
    const mapped = mapPrefix(path, from, to);
    if (mapped !== null) return mapped;
  }
  return path;
}

const trimSeparators = (p: string): string => p.replace(/[\\/]+$/, '');

/**
 * `path` with the directory `from` replaced by `to`, or `null` when `path` is not inside `from`.
 * Matches whole directory names (`/app` maps `/app/x`, not `/apple/x`); trailing slashes on
 * either side do not matter.
 */
function mapPrefix(path: string, from: string, to: string): string | null {
  if (!from) return null;
  const dir = trimSeparators(from);
  if (dir === '') return trimSeparators(to) + path; // `from` is the root itself
  if (path === dir) return to;
  if (!path.startsWith(dir) || !/[\\/]/.test(path.charAt(dir.length))) return null;
  return trimSeparators(to) + path.slice(dir.length);
}

/**
 * A resolved path in URL form, always with a leading slash: `/home/me/a.ts`, `/C:/work/a.ts`.
 * Characters that would end the path inside a URL (`#`, `?`) or a query value (`&`) are escaped.
 */
function toUrlPath(path: string): string {
  const slashed = path.replace(/\\/g, '/');
  return encodeURI(slashed.startsWith('/') ? slashed : `/${slashed}`).replace(/[#?&]/g, encodeURIComponent);
}

/**
 * Puts the path into each `{path}` of the template, with as many slashes in between as the
 * template's URL form expects: after a single slash (`vscode://file/{path}`) the path's own
 * leading slash is dropped, so the link reads `vscode://file/home/me/a.ts`, not `file//home`;
 * after `//` (`file://{path}`) it is kept (`file:///home/me/a.ts`, `file:///C:/work/a.ts`);
 * elsewhere (`?file={path}`) a path keeps its own form (`/home/me/a.ts`, `C:/work/a.ts`).
 */
function fillPath(template: string, urlPath: string): string {
  const isDrivePath = /^\/[A-Za-z]:/.test(urlPath);
  return template.replace(/(\/*)\{path\}/g, (_match, slashes: string) => {
    if (slashes.length === 1) return slashes + urlPath.slice(1);
    if (slashes.length >= 2) return slashes + urlPath;
    return isDrivePath ? urlPath.slice(1) : urlPath;
  });
}

/**
 * The editor URL of a stack frame (`vscode://file/<abs path>:<line>:<column>` by default), or
 * `null` when the path cannot be resolved or the template would produce an unsafe URL.
 */
export function editorLink(frame: StackFrame, options: EditorLinkOptions): string | null {
  const path = resolveFramePath(frame.file, options.projectRoot, options.pathMappings);
  if (path === null) return null;
  const href = fillPath(options.template, toUrlPath(path))
    .replaceAll('{line}', String(frame.line))
    .replaceAll('{column}', String(frame.column));
  let parsed: URL;
  try {
    parsed = new URL(href);
  } catch {
    return null;
  }
  return FORBIDDEN_SCHEMES.has(parsed.protocol) ? null : href;
}
