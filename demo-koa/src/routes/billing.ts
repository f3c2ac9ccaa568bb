import type Router from '@koa/router';
import type { ShopQueues } from '../queues.js';

/**
 * Two billing jobs: one that fails its first attempt and succeeds when BullMQ retries it, and
 * one that always fails, so the panel shows retries, backoff and a failure reason.
 */
export function billingRoutes(router: Router, queues: ShopQueues): void {
  router.post('/api/accounting/sync', async function syncToAccounting(ctx) {
    const job = await queues.billing.add(
      'sync-to-accounting',
      { orderId: 'ord_1001' },
      { attempts: 3, backoff: { type: 'exponential', delay: 1000 } },
    );
    ctx.status = 202;
    ctx.body = { syncJobId: job.id };
  });

  router.post('/api/invoices', async function renderInvoice(ctx) {
    const job = await queues.billing.add(
      'render-invoice-pdf',
      { orderId: 'ord_1001', template: 'invoice-v2' },
      { attempts: 2, backoff: { type: 'fixed', delay: 500 } },
    );
    ctx.status = 202;
    ctx.body = { invoiceJobId: job.id };
  });
}
