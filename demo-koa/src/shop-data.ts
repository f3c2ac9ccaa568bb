/** Stand-ins for the database a real shop would query. */

export interface OrderLine {
  sku: string;
  title: string;
  quantity: number;
  priceCents: number;
}

export interface Order {
  id: string;
  customer: { id: string; email: string; name: string };
  lines: OrderLine[];
}

const PRODUCTS = [
  { sku: 'MUG-01', title: 'Enamel mug', priceCents: 1400 },
  { sku: 'TEE-02', title: 'Organic T-shirt', priceCents: 2500 },
  { sku: 'CAP-03', title: 'Cap', priceCents: 1900 },
  { sku: 'BAG-04', title: 'Tote bag', priceCents: 1200 },
] as const;

let nextOrderNumber = 1000;

/** A new order of `lineCount` lines for the demo's one customer. */
export function newOrder(lineCount = 2): Order {
  nextOrderNumber += 1;
  const lines = Array.from({ length: lineCount }, (_, i) => {
    const product = PRODUCTS[i % PRODUCTS.length]!;
    return { ...product, quantity: 1 + (i % 3) };
  });
  return {
    id: `ord_${nextOrderNumber}`,
    customer: { id: 'cus_42', email: 'ada@example.com', name: 'Ada Lovelace' },
    lines,
  };
}

/** The catalogue, for the route that enqueues nothing. */
export function listProducts(): readonly { sku: string; title: string; priceCents: number }[] {
  return PRODUCTS;
}
