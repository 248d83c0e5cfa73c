/** One line of the report: a measured figure, the goal it is held to (if any), and whether it meets it. */

export type Verdict = 'PASS' | 'MISS' | 'info' | 'not measured';

export interface ReportRow {
  readonly metric: string;
  readonly measured: string;
  readonly goal: string;
  readonly verdict: Verdict;
  /** What the figure is made of, or why it is missing. */
  readonly note?: string;
}

export interface Goal {
  readonly text: string;
  readonly met: (value: number) => boolean;
}

export const atMost = (limit: number, unit = ''): Goal => ({
  text: `<= ${limit}${unit}`,
  met: (value) => value <= limit,
});

export const exactly = (target: number): Goal => ({
  text: `= ${target}`,
  met: (value) => value === target,
});

export function formatNumber(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function judged(metric: string, value: number, goal: Goal, display?: string, note?: string): ReportRow {
  return {
    metric,
    measured: display ?? formatNumber(value),
    goal: goal.text,
    verdict: goal.met(value) ? 'PASS' : 'MISS',
    ...(note === undefined ? {} : { note }),
  };
}

export function informative(metric: string, measured: string, note?: string): ReportRow {
  return { metric, measured, goal: '-', verdict: 'info', ...(note === undefined ? {} : { note }) };
}

export function notMeasured(metric: string, goal: string, why: string): ReportRow {
  return { metric, measured: '-', goal, verdict: 'not measured', note: why };
}

export interface ReportSection {
  readonly title: string;
  /** The command that measures this section on its own. */
  readonly command?: string;
  readonly rows: readonly ReportRow[];
  /** Its judged rows are quoted in the README's generated block (the headline, latency and sweep goals). */
  readonly inReadme?: boolean;
}

export interface BenchReport {
  readonly command: string;
  readonly startedAt: Date;
  readonly machine: import('../machine').MachineInfo;
  readonly options: string;
  readonly sections: readonly ReportSection[];
  /** Free-form observations derived from the measurements (what missed, and the evidence). */
  readonly findings: readonly string[];
}
