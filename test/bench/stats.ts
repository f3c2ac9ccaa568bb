/** Percentiles, per-round ratios and formatting for the benchmark's report. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/** The middle value; the mean of the two middle ones for an even count (two rounds: their mean). */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** `0.153 ms` with three decimals. */
export const ms = (value: number): string => `${value.toFixed(3)} ms`;

/** The verdicts a part of the bench reached, one per target (true: met). */
export type Verdicts = boolean[];

/**
 * Prints one line of the report: a label, figures, and a verdict against a target. Returns the
 * verdict, so a caller can collect it.
 */
export function report(label: string, figures: string, pass: boolean): boolean;
export function report(label: string, figures: string, pass: undefined): undefined;
export function report(label: string, figures: string, pass: boolean | undefined): boolean | undefined {
  const verdict = pass === undefined ? '' : pass ? '  ✓' : '  ✗ missed';
  console.log(`${label.padEnd(40)} ${figures}${verdict}`);
  return pass;
}

/** `+0.021 (target ≤ 0.03)`. */
export const gapLine = (gap: number, target: string): string => `${gap >= 0 ? '+' : ''}${gap.toFixed(3)} (target ${target})`;

/**
 * Ratios of rounds in which every variant was measured once: each variant's figure is the
 * median of its per-round ratios to `base` (so a round that ran slow or fast as a whole cancels
 * out), and a gap between two variants is the difference of those figures, as printed.
 *
 * @example
 * ```ts
 * const r = roundsOf([{ bare: 100, tracked: 110, floor: 108 }], 'bare');
 * r.of('tracked'); // 1.1
 * r.gap('tracked', 'floor'); // 0.02 (1.10 − 1.08)
 * ```
 */
export function roundsOf<K extends string>(rounds: readonly Record<K, number>[], base: NoInfer<K>) {
  return {
    of: (variant: NoInfer<K>) => median(rounds.map((r) => r[variant] / r[base])),
    gap: (a: NoInfer<K>, b: NoInfer<K>) => median(rounds.map((r) => r[a] / r[base])) - median(rounds.map((r) => r[b] / r[base])),
  };
}

export const sleep = (msDelay: number) => new Promise((resolve) => setTimeout(resolve, msDelay));
