/** Duration samples kept for statistics: bounded lists and their summary. */
import type { DurationSummary } from './lambda-types';

const MAX_KEPT_DURATIONS = 10_000;

export function isDefined<T>(value: T | undefined): value is T {
  return value !== undefined;
}

export function maxDefined(values: ReadonlyArray<number | undefined>): number | undefined {
  const defined = values.filter(isDefined);
  return defined.length > 0 ? Math.max(...defined) : undefined;
}

/** Adds a sample, dropping the oldest past MAX_KEPT_DURATIONS. */
export function keep(list: number[], value: number): void {
  list.push(value);
  if (list.length > MAX_KEPT_DURATIONS) list.shift();
}

export function summarize(values: readonly number[]): DurationSummary {
  if (values.length === 0) return { count: 0, meanMs: 0, p50Ms: 0, p95Ms: 0, maxMs: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (fraction: number) => sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? 0;
  return {
    count: sorted.length,
    meanMs: sorted.reduce((sum, value) => sum + value, 0) / sorted.length,
    p50Ms: at(0.5),
    p95Ms: at(0.95),
    maxMs: sorted[sorted.length - 1] ?? 0,
  };
}
