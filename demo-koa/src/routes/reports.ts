import type Router from '@koa/router';
import type { ShopQueues } from '../queues.js';

/** A slow job that reports its progress (see `buildReport` in processors.ts). */
export function reportRoutes(router: Router, queues: ShopQueues): void {
  router.post('/api/reports/sales', async function requestSalesReport(ctx) {
    const job = await queues.reports.add('build-sales-report', { period: 'last-30-days', format: 'csv' });
    ctx.status = 202;
    ctx.body = { reportJobId: job.id, message: 'The report is being built; watch its progress.' };
  });
}
