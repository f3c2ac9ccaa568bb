export async function benchFaultSoak(..._a: unknown[]): Promise<boolean[]> { return []; }
