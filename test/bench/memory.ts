export async function benchMemory(..._a: unknown[]): Promise<boolean[]> { return []; }
