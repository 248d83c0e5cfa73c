/** The "Single-event latency" section: --repeats runs of --latency-samples launches and tag changes each; medians. */
import { type BenchOptions, partCommand } from '../options';
import { atMost, exactly, formatNumber, informative, judged, notMeasured, type ReportRow, type ReportSection } from '../report/model';
import { median, quantile } from '../stats';
import { type LatencyMeasurement, runLatencyOnce } from './run';

/** Issue 12's goals, the batching window included. */
const P50_GOAL_MS = 3_000;
const P99_GOAL_MS = 6_000;

const ms = (value: number): string => `${formatNumber(value, 0)} ms`;

function kindRows(
  kind: string,
  samplesOf: (m: LatencyMeasurement) => readonly number[],
  measurements: readonly LatencyMeasurement[],
): ReportRow[] {
  const runs = measurements.map(samplesOf).filter((samples) => samples.length > 0);
  if (runs.length === 0) {
    return [
      notMeasured(`${kind}: event to session`, `p50 <= ${P50_GOAL_MS} ms`, 'no sample had its session within 30 s (see the missing row)'),
    ];
  }
  const p50s = runs.map((samples) => quantile(samples, 0.5));
  const p99s = runs.map((samples) => quantile(samples, 0.99));
  const sizes = runs.map((samples) => samples.length).join(', ');
  return [
    judged(
      `${kind}: event to session, p50 (median of runs)`,
      median(p50s),
      atMost(P50_GOAL_MS, ' ms'),
      ms(median(p50s)),
      `per run: ${p50s.map(ms).join(', ')}; samples per run ${sizes}`,
    ),
    judged(
      `${kind}: event to session, p99 (median of runs)`,
      median(p99s),
      atMost(P99_GOAL_MS, ' ms'),
      ms(median(p99s)),
      `per run: ${p99s.map(ms).join(', ')}; with fewer than 100 samples a run's p99 is its slowest sample`,
    ),
  ];
}

export async function runLatency(
  root: string,
  packageDir: string,
  options: BenchOptions,
  log: (line: string) => void,
): Promise<{ section: ReportSection; findings: string[] }> {
  const measurements: LatencyMeasurement[] = [];
  for (let run = 1; run <= options.repeats; run++) {
    log(
      `latency run ${run} of ${options.repeats}: ${options.latencySamples} launches, then ${options.latencySamples} tag changes, one at a time`,
    );
    measurements.push(await runLatencyOnce(root, packageDir, options, log));
  }
  const rows = [
    ...kindRows('tagged launch (from its running event)', (m) => m.launchMs, measurements),
    ...kindRows('tag added to a running instance (from its Tag Change event)', (m) => m.tagChangeMs, measurements),
    judged(
      'samples with no session within 30 s',
      measurements.reduce((sum, m) => sum + m.missing, 0),
      exactly(0),
    ),
    informative(
      'batching window (serverless.yml queueBatchingWindow)',
      `${measurements[0]?.batchingWindowSeconds ?? '?'} s`,
      'included in every figure above: with one event at a time, the event source mapping waits the whole window for a batch to fill',
    ),
    informative(
      'time to take the samples, per run',
      measurements.map((m) => `${formatNumber(m.samplingSeconds, 0)} s`).join(', '),
      `setup excluded; ${options.latencySamples} samples of each kind one at a time, each waiting the batching window: that window sets the floor of about 2 x samples x window`,
    ),
    informative(
      'machine load (1-min load average) per run',
      measurements.map((m) => `${formatNumber(m.loadAverage.start, 1)}-${formatNumber(m.loadAverage.end, 1)}`).join(', '),
      `${measurements[0]?.loadAverage.cores ?? '?'} cores; start-end of each run`,
    ),
  ];
  const findings = rows
    .filter((row) => row.verdict === 'MISS')
    .map((row) => `Latency missed its goal: ${row.metric} ${row.measured} (goal ${row.goal}).`);
  return {
    section: {
      title: `Single-event latency, idle system, EC2's real rates (medians of ${options.repeats} runs)`,
      command: partCommand(options, 'latency'),
      rows,
      inReadme: true,
    },
    findings,
  };
}
