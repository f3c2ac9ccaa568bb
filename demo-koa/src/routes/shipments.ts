import type Router from '@koa/router';
import type { ShopQueues } from '../queues.js';
import { newOrder } from '../shop-data.js';

/**
 * A flow: `ship-order` waits (state `waiting-children`) until its children, picking the items
 * in the warehouse queue and printing the label in the shipping queue, have completed.
 */
export function shipmentRoutes(router: Router, queues: ShopQueues): void {
  router.post('/api/shipments', async function shipOrder(ctx) {
    const order = newOrder(2);
    const tree = await queues.flows.add({
      name: 'ship-order',
      queueName: 'shipping',
      data: { orderId: order.id, carrier: 'DHL' },
      children: [
        { name: 'pick-items', queueName: 'warehouse', data: { orderId: order.id, skus: order.lines.map((l) => l.sku) } },
        { name: 'print-label', queueName: 'shipping', data: { orderId: order.id, address: '12 St James Sq, London' } },
      ],
    });
    ctx.status = 201;
    ctx.body = {
      orderId: order.id,
      shipJobId: tree.job.id,
      childJobIds: (tree.children ?? []).map((child) => child.job.id),
    };
  });
}
