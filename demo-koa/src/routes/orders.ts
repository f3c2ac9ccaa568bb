import type Router from '@koa/router';
import type { ShopQueues } from '../queues.js';
import { newOrder } from '../shop-data.js';

/**
 * Checkout: an email now, a reminder in 30 s, and a fraud check that jumps the queue. The
 * workers add follow-ups: the confirmation email a receipt PDF, the fraud check one stock
 * reservation per order line (see processors.ts).
 */
export function orderRoutes(router: Router, queues: ShopQueues): void {
  router.post('/api/orders', async function placeOrder(ctx) {
    const order = newOrder(3);
    const totalCents = order.lines.reduce((sum, line) => sum + line.priceCents * line.quantity, 0);

    const confirmation = await queues.emails.add('send-order-confirmation', {
      orderId: order.id,
      to: order.customer.email,
    });
    const reminder = await queues.emails.add(
      'send-review-reminder',
      { orderId: order.id, to: order.customer.email },
      { delay: 30_000 },
    );
    // A lower number is a higher priority in BullMQ; 1 runs before everything else waiting.
    const fraudCheck = await queues.fraud.add(
      'check-order',
      { orderId: order.id, customerId: order.customer.id, totalCents, lines: order.lines.map(({ sku, quantity }) => ({ sku, quantity })) },
      { priority: 1 },
    );

    ctx.status = 201;
    ctx.body = {
      orderId: order.id,
      totalCents,
      jobs: { confirmation: confirmation.id, reminder: reminder.id, fraudCheck: fraudCheck.id },
    };
  });
}
