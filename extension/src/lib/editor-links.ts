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
    if (from && path.startsWith(from)) return to + path.slice(from.length);
  }
  return path;
}

/**
 * The editor URL of a stack frame (`vscode://file/<abs path>:<line>:<column>` by default), or
 * `null` when the path cannot be resolved or the template would produce an unsafe URL.
 */
export function editorLink(frame: StackFrame, options: EditorLinkOptions): string | null {
  const path = resolveFramePath(frame.file, options.projectRoot, options.pathMappings);
  if (path === null) return null;
  // Windows paths become /C:/... in URL form; keep slashes and colons readable for editors.
  const urlPath = encodeURI(path.replace(/\\/g, '/')).replace(/^\/?([A-Za-z]:)/, '$1');
  const href = options.template
    .replaceAll('{path}', urlPath)
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
