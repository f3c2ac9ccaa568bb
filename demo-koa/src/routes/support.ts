import type Router from '@koa/router';
import type { ShopQueues } from '../queues.js';

/**
 * A ticket whose priority comes from the client. BullMQ rejects priorities above 2,097,151,
 * so `?priority=5000000` makes the enqueue fail: the client gets a 422 and the failed enqueue,
 * with BullMQ's message, shows in the request's record.
 */
export function supportRoutes(router: Router, queues: ShopQueues): void {
  router.post('/api/support/tickets', async function openTicket(ctx) {
    const priority = Number(ctx.query.priority ?? 10);
    try {
      const job = await queues.support.add('triage-ticket', { subject: 'Where is my order?' }, { priority });
      ctx.status = 201;
      ctx.body = { ticketJobId: job.id, priority };
    } catch (err) {
      // BullMQ checks options before touching Redis, and with `maxRetriesPerRequest: null` a
      // Redis outage makes `add` wait rather than reject: a rejection here is a bad option.
      ctx.status = 422;
      ctx.body = { error: `Could not queue the ticket: ${(err as Error).message}` };
    }
  });
}
