import koaCors from '@koa/cors';
import cors from 'cors';
import express from 'express';
import Koa from 'koa';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { taskscope as expressTaskscope } from 'taskscope/express';
import { taskscope as koaTaskscope } from 'taskscope/koa';

// An app whose CORS middleware reflects any Origin and runs before Taskscope (the defaults of
// @koa/cors and cors) must not open the debug API to other websites.

const servers: Array<{ server: Server; close: () => Promise<void> }> = [];
afterEach(async () => {
  for (const { server, close } of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
    await close();
  }
});

async function listen(server: Server, close: () => Promise<void>): Promise<string> {
  servers.push({ server, close });
  if (!server.listening) await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const apps = {
  'koa with @koa/cors in front': async () => {
    const app = new Koa();
    const middleware = koaTaskscope();
    app.use(koaCors());
    app.use(middleware);
    app.use((ctx) => { ctx.body = 'page'; });
    return listen(app.listen(0, '127.0.0.1'), () => middleware.close());
  },
  'express with cors() in front': async () => {
    const app = express();
    const middleware = expressTaskscope();
    app.use(cors());
    app.use(middleware);
    app.get('/', (_req, res) => { res.send('page'); });
    return listen(app.listen(0, '127.0.0.1'), () => middleware.close());
  },
};

describe.each(Object.entries(apps))('the debug API, %s', (_name, start) => {
  it.each(['null', 'https://evil.example'])('refuses Origin: %s without any CORS header', async (origin) => {
    const url = await start();
    const response = await fetch(`${url}/__taskscope/requests`, { headers: { origin } });
    expect(response.status).toBe(403);
    expect((await response.json()).error.code).toBe('forbidden_origin');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('answers the extension, and leaves the app\'s own CORS on its own routes as it was', async () => {
    const url = await start();
    const fromExtension = await fetch(`${url}/__taskscope/requests`, { headers: { origin: 'chrome-extension://abcdefghijklmnop' } });
    expect(fromExtension.status).toBe(200);
    expect(fromExtension.headers.get('access-control-allow-origin')).toBeNull();
    const page = await fetch(`${url}/`, { headers: { origin: 'https://evil.example' } });
    expect(await page.text()).toBe('page');
    expect(page.headers.get('access-control-allow-origin')).not.toBeNull();
  });
});
