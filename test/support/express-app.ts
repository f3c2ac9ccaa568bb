import express from 'express';
import express4 from 'express4';
import { taskscope } from 'taskscope/express';
import type { AdapterUnderTest, Route } from './adapter-app.js';
import { listen } from './koa-app.js';

/**
 * An Express app for the shared adapter suite: `taskscope()` first (unless bare),
 * `express.json()`, then the route; errors go to `next`, so Express's own handler answers.
 */
function expressAdapter(name: string, createApp: typeof express): AdapterUnderTest {
  return {
    name,
    async start(options, route) {
      const app = createApp();
      const middleware = options === 'bare' ? undefined : taskscope(options);
      if (middleware) app.use(middleware);
      app.use(createApp.json());
      app.use(handle(route));
      return listen(app, middleware?.taskscope, () => middleware?.close());
    },
  };
}

function handle(route: Route): express.RequestHandler {
  return (req, res, next) => {
    const query = new URLSearchParams(req.originalUrl.split('?')[1] ?? '');
    Promise.resolve()
      .then(() => route({ method: req.method, path: req.path, query, body: req.body }))
      .then((reply) => {
        if (!reply) return next();
        if (reply.status !== undefined) res.status(reply.status);
        if (reply.headers) res.set(reply.headers);
        if (reply.body === undefined || typeof reply.body === 'string') res.send(reply.body);
        else res.json(reply.body);
      }, next);
  };
}

/** Express 5 under the shared adapter suite. */
export const express5Adapter = expressAdapter('express 5', express);

/** Express 4 (the npm alias `express4`) under the shared adapter suite. */
export const express4Adapter = expressAdapter('express 4', express4);
