import Router from '@koa/router';
import Koa from 'koa';
import type { TaskscopeOptions } from 'taskscope';
import { taskscope } from 'taskscope/koa';
import type { ShopQueues } from './queues.js';
import { billingRoutes } from './routes/billing.js';
import { maintenanceRoutes } from './routes/maintenance.js';
import { orderRoutes } from './routes/orders.js';
import { productRoutes } from './routes/products.js';
import { receiptRoutes } from './routes/receipts.js';
import { reportRoutes } from './routes/reports.js';
import { shipmentRoutes } from './routes/shipments.js';
import { supportRoutes } from './routes/support.js';
import { staticFiles } from './static-files.js';
import { deskScript } from './ws/desk-page.js';

/** The shop's Koa app and its Taskscope middleware (close it on shutdown). */
export interface ShopApp {
  app: Koa;
  debug: ReturnType<typeof taskscope>;
}

/** Builds the demo shop: Taskscope first, then the home page, then the JSON routes. */
export function createShopApp(queues: ShopQueues, options: TaskscopeOptions = {}): ShopApp {
  const app = new Koa();
  // First, so every request after it is recorded. BullMQ is instrumented with no more code.
  const debug = taskscope(options);
  app.use(debug);
  app.use(staticFiles());
  app.use(deskScript()); // the live order desk's page script (issue 12)

  const router = new Router();
  orderRoutes(router, queues);
  receiptRoutes(router, queues);
  reportRoutes(router, queues);
  billingRoutes(router, queues);
  shipmentRoutes(router, queues);
  productRoutes(router, queues);
  maintenanceRoutes(router, queues);
  supportRoutes(router, queues);
  app.use(router.routes()).use(router.allowedMethods());

  return { app, debug };
}
