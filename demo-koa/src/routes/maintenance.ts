import type Router from '@koa/router';
import type { ShopQueues } from '../queues.js';

const SCHEDULER_ID = 'remind-abandoned-carts';

/** A job scheduler (repeatable job) that a request creates or updates. */
export function maintenanceRoutes(router: Router, queues: ShopQueues): void {
  router.put('/api/maintenance/abandoned-carts', async function scheduleCartReminders(ctx) {
    // Upserting is idempotent: clicking twice updates the one scheduler, it does not add another.
    const firstJob = await queues.maintenance.upsertJobScheduler(
      SCHEDULER_ID,
      { every: 60_000 },
      { name: 'remind-abandoned-carts', data: { olderThanHours: 24 } },
    );
    ctx.body = { schedulerId: SCHEDULER_ID, every: '60 s', firstJobId: firstJob?.id ?? null };
  });
}
