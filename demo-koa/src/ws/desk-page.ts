import { readFile } from 'node:fs/promises';
import type { Middleware } from 'koa';

const SCRIPT = new URL('../../public/ws-desk.js', import.meta.url);

/** Serves the order desk's page script, `/ws-desk.js` (the shop's static list stays as it is). */
export function deskScript(): Middleware {
  return async (ctx, next) => {
    if (ctx.path !== '/ws-desk.js' || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    ctx.type = 'text/javascript; charset=utf-8';
    ctx.body = await readFile(SCRIPT);
  };
}
