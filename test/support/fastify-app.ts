import Fastify from 'fastify';
import { taskscope } from 'taskscope/fastify';
import type { AdapterUnderTest } from './adapter-app.js';

/**
 * Fastify 5 under the shared adapter suite: `app.register(taskscope, options)` first (unless
 * bare), then the route for every method and path; errors go to Fastify's error handler.
 */
export const fastifyAdapter: AdapterUnderTest = {
  name: 'fastify',
  async start(options, route) {
    const app = Fastify();
    if (options !== 'bare') await app.register(taskscope, options);
    app.all('/*', async (request, reply) => {
      const [path, search = ''] = request.url.split('?') as [string, string?];
      const answer = await route({ method: request.method, path, query: new URLSearchParams(search), body: request.body });
      if (!answer) return reply.callNotFound();
      if (answer.status !== undefined) reply.code(answer.status);
      if (answer.headers) reply.headers(answer.headers);
      return reply.send(answer.body ?? '');
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    return {
      url: `http://127.0.0.1:${port}`,
      core: options === 'bare' ? undefined : app.taskscope,
      async close() {
        app.server.closeAllConnections();
        await app.close();
      },
    };
  },
};
