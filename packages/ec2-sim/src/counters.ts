/**
 * Calls per action and outcome, so tests and the benchmark can count what the product spends: in all, and for each
 * account and Region.
 */
export interface CallCount {
  total: number;
  ok: number;
  throttled: number;
  errors: Record<string, number>;
}

export type Outcome = { kind: 'ok' } | { kind: 'throttled' } | { kind: 'error'; code: string };

export class CallCounters {
  private counts: Record<string, CallCount> = {};
  private readonly byScope = new Map<string, Record<string, CallCount>>();

  record(action: string, outcome: Outcome, scope = ''): void {
    count(this.counts, action, outcome);
    const scoped = this.byScope.get(scope) ?? {};
    this.byScope.set(scope, scoped);
    count(scoped, action, outcome);
  }

  /** Every scope's calls, or only one scope's ('<account>/<region>'). */
  snapshot(scope?: string): Record<string, CallCount> {
    return structuredClone(scope === undefined ? this.counts : (this.byScope.get(scope) ?? {}));
  }

  reset(): void {
    this.counts = {};
    this.byScope.clear();
  }
}

function count(counts: Record<string, CallCount>, action: string, outcome: Outcome): void {
  const entry = (counts[action] ??= { total: 0, ok: 0, throttled: 0, errors: {} });
  entry.total++;
  if (outcome.kind === 'ok') entry.ok++;
  else if (outcome.kind === 'throttled') entry.throttled++;
  else entry.errors[outcome.code] = (entry.errors[outcome.code] ?? 0) + 1;
}
