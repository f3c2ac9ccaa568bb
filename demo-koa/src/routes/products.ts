import type Router from '@koa/router';
import type { ShopQueues } from '../queues.js';
import { listProducts } from '../shop-data.js';

/** Catalogue routes: one that enqueues nothing, one that enqueues after responding, one deduplicated. */
export function productRoutes(router: Router, queues: ShopQueues): void {
  // Most requests enqueue nothing; Taskscope still tags them, with "0 tasks".
  router.get('/api/products', function listCatalogue(ctx) {
    ctx.body = { products: listProducts() };
  });

  // Fire-and-forget: the page view is tracked after the response has gone out. Taskscope
  // records it as a late task of this request, because the timer runs in its async context.
  router.post('/api/products/:sku/views', function trackProductView(ctx) {
    const { sku } = ctx.params;
    setTimeout(function enqueueProductView() {
      queues.analytics
        .add('track-product-view', { sku, at: new Date().toISOString() })
        .catch((err: Error) => console.error(`track-product-view: ${err.message}`));
    }, 50);
    ctx.status = 202;
    ctx.body = { sku, tracked: 'after the response' };
  });

  // Price and stock changed: each change asks for a reindex, but BullMQ deduplicates them by id
  // while the first one has not finished, so the second add returns the first job.
  router.put('/api/products/:sku', async function updateProduct(ctx) {
    const { sku } = ctx.params;
    const deduplication = { id: `reindex-${sku}` };
    const afterPrice = await queues.search.add('reindex-product', { sku, changed: 'price' }, { deduplication });
    const afterStock = await queues.search.add('reindex-product', { sku, changed: 'stock' }, { deduplication });
    ctx.body = { sku, reindexJobIds: [afterPrice.id, afterStock.id], sameJob: afterPrice.id === afterStock.id };
  });
}
