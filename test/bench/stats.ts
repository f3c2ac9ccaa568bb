/** Percentiles and formatting for the benchmark's report. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export const median = (samples: readonly number[]): number => percentile(samples, 50);

/** `0.153 ms` with three decimals. */
export const ms = (value: number): string => `${value.toFixed(3)} ms`;

/** Prints one line of the report: a label, figures, and a verdict against a target. */
export function report(label: string, figures: string, pass: boolean | undefined): void {
  const verdict = pass === undefined ? '' : pass ? '  ✓' : '  ✗ over target';
  console.log(`${label.padEnd(34)} ${figures}${verdict}`);
}

export const sleep = (msDelay: number) => new Promise((resolve) => setTimeout(resolve, msDelay));
