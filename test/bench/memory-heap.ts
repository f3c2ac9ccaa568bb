/**
 * Heap used after full collections. Needs `--expose-gc` (the bench starts its memory processes
 * with it): without it the figure would include garbage and mean nothing.
 */
export async function settledHeap(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('the memory bench must run with --expose-gc');
  for (let i = 0; i < 4; i++) {
    gc();
    // Lets FinalizationRegistry callbacks and timers that free things run between collections.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return process.memoryUsage().heapUsed;
}
