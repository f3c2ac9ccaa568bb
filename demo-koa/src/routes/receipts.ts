import type Router from '@koa/router';
import type { ShopQueues } from '../queues.js';
import { newOrder } from '../shop-data.js';

const LINES = 12;

/**
 * One receipt email per order line, twice: one `add` per line (an N+1: twelve Redis round
 * trips, flagged by Taskscope) and the fix, a single `addBulk`.
 */
export function receiptRoutes(router: Router, queues: ShopQueues): void {
  router.post('/api/receipts/one-by-one', async function sendReceiptsOneByOne(ctx) {
    const order = newOrder(LINES);
    const jobIds = [];
    for (const line of order.lines) {
      const job = await queues.emails.add('send-receipt', { orderId: order.id, sku: line.sku, to: order.customer.email });
      jobIds.push(job.id);
    }
    ctx.body = { orderId: order.id, receipts: jobIds.length, jobIds };
  });

  router.post('/api/receipts/batched', async function sendReceiptsBatched(ctx) {
    const order = newOrder(LINES);
    const jobs = await queues.emails.addBulk(
      order.lines.map((line) => ({
        name: 'send-receipt',
        data: { orderId: order.id, sku: line.sku, to: order.customer.email },
      })),
    );
    ctx.body = { orderId: order.id, receipts: jobs.length, jobIds: jobs.map((job) => job.id) };
  });
}
