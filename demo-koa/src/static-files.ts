import { readFile } from 'node:fs/promises';
import type { Middleware } from 'koa';

const PUBLIC_DIR = new URL('../public/', import.meta.url);

/** The home page's files, by URL path. A fixed list: nothing else on disk can be reached. */
const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

/** Serves the static home page from `demo-koa/public/`. */
export function staticFiles(): Middleware {
  return async (ctx, next) => {
    const entry = ctx.method === 'GET' || ctx.method === 'HEAD' ? FILES[ctx.path] : undefined;
    if (!entry) return next();
    ctx.type = entry.type;
    ctx.body = await readFile(new URL(entry.file, PUBLIC_DIR));
  };
}
