/** Calls per action and outcome, so tests and the benchmark can count what the product spends. */
export interface CallCount {
  total: number;
  ok: number;
  throttled: number;
  errors: Record<string, number>;
}

export type Outcome = { kind: 'ok' } | { kind: 'throttled' } | { kind: 'error'; code: string };

export class CallCounters {
  private counts: Record<string, CallCount> = {};

  record(action: string, outcome: Outcome): void {
    const count = (this.counts[action] ??= { total: 0, ok: 0, throttled: 0, errors: {} });
    count.total++;
    if (outcome.kind === 'ok') count.ok++;
    else if (outcome.kind === 'throttled') count.throttled++;
    else count.errors[outcome.code] = (count.errors[outcome.code] ?? 0) + 1;
  }

  snapshot(): Record<string, CallCount> {
    return structuredClone(this.counts);
  }

  reset(): void {
    this.counts = {};
  }
}
