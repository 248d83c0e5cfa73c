/**
 * The burst sections of the report: at each time scale (headline first: x1 is EC2's real rates), --repeats bursts,
 * each on a fresh local cloud. A headline table holds the medians, each figure at every scale side by side; one
 * section per scale shows the run with the median converge ratio in full.
 */
import { type BenchOptions, partCommand } from '../options';
import { atMost, exactly, formatNumber, informative, judged, type ReportRow, type ReportSection } from '../report/model';
import { largestFirst, median } from '../stats';
import { burstFigures } from './figures';
import type { BurstMeasurement } from './measurement';
import { burstRows, CONVERGE_RATIO_GOAL, DYNAMO_REQUESTS_PER_SESSION_GOAL } from './rows';
import { runBurstOnce } from './run';
import { stopFigures, stopRows } from './stop-rows';

const ratioText = (value: number): string => (Number.isFinite(value) ? formatNumber(value) : 'timed out');

function headlineRows(timeScale: number, measurements: readonly BurstMeasurement[]): ReportRow[] {
  const figures = measurements.map(burstFigures);
  const stops = measurements.map((m) => stopFigures(m.stop));
  const medianOf = (pick: (f: (typeof figures)[number]) => number): number => median(figures.map(pick));
  const runs = (pick: (f: (typeof figures)[number]) => number): string => `runs: ${figures.map((f) => ratioText(pick(f))).join(', ')}`;
  const loads = measurements.map((m) => `${formatNumber(m.loadAverage.start, 1)}-${formatNumber(m.loadAverage.end, 1)}`).join(', ');
  const first = measurements[0];
  const scale = `x${timeScale}`;
  // Why a ratio misses, from the measurement: the CPU this machine needed for the burst, as a share of the limit.
  const cpuFloors = measurements
    .map((m) => formatNumber((m.cpu.handlerMs + m.cpu.localCloudMs) / 1000 / m.loadAverage.cores / m.physicalLimitSeconds))
    .join(', ');
  const dynamoBreakdown = first
    ? largestFirst(first.dynamo.byOperation)
        .map(([operation, count]) => `${operation} ${formatNumber(count / Math.max(1, first.managedSessions))}`)
        .join(', ')
    : '';
  return [
    judged(
      `${scale}: time to converge / physical limit (median)`,
      medianOf((f) => f.convergeRatio),
      atMost(CONVERGE_RATIO_GOAL),
      ratioText(medianOf((f) => f.convergeRatio)),
      `${runs((f) => f.convergeRatio)}; ${first ? `${first.expectedSessions} ENIs, limit ${formatNumber(first.physicalLimitSeconds, 1)} s` : ''}; 1-min load average per run (start-end) ${loads} on ${first?.loadAverage.cores ?? '?'} cores; CPU floor per run (handler + local-cloud CPU over the cores / limit; near or above 1 the ratio measures this machine) ${cpuFloors}`,
    ),
    judged(
      `${scale}: EC2 mutating calls per session (median)`,
      medianOf((f) => f.mutatingPerSession),
      atMost(1.0),
      undefined,
      `${runs((f) => f.mutatingPerSession)}; ClientToken replays per session: ${figures.map((f) => formatNumber(f.replaysPerSession)).join(', ')}`,
    ),
    judged(
      `${scale}: DynamoDB requests per session (median)`,
      medianOf((f) => f.dynamoPerSession),
      atMost(DYNAMO_REQUESTS_PER_SESSION_GOAL),
      undefined,
      `${runs((f) => f.dynamoPerSession)}; per session by operation, first run: ${dynamoBreakdown}`,
    ),
    judged(
      `${scale}: the fleet stopped: time until every session is gone / physical limit (median)`,
      median(stops.map((f) => f.removeRatio)),
      atMost(CONVERGE_RATIO_GOAL),
      ratioText(median(stops.map((f) => f.removeRatio))),
      `runs: ${stops.map((f) => ratioText(f.removeRatio)).join(', ')}; every launched instance stopped at once, ${first ? `${first.stop.sessionsBefore} sessions, limit ${formatNumber(first.stop.physicalLimitSeconds, 1)} s` : ''}`,
    ),
    judged(
      `${scale}: the fleet stopped: EC2 delete calls per session (median)`,
      median(stops.map((f) => f.deletesPerSession)),
      atMost(1.0),
      undefined,
      `runs: ${stops.map((f) => formatNumber(f.deletesPerSession)).join(', ')}`,
    ),
    judged(
      `${scale}: the fleet stopped: DynamoDB requests per session (median)`,
      median(stops.map((f) => f.dynamoPerSession)),
      atMost(DYNAMO_REQUESTS_PER_SESSION_GOAL),
      undefined,
      `runs: ${stops.map((f) => formatNumber(f.dynamoPerSession)).join(', ')}`,
    ),
    judged(
      `${scale}: failed invocations (all runs)`,
      figures.reduce((sum, f) => sum + f.failed, 0) + measurements.reduce((sum, m) => sum + m.stop.failed, 0),
      exactly(0),
      undefined,
      failureKindsOfAllRuns(measurements),
    ),
  ];
}

/**
 * Every run's failures by kind, the burst's and its stop's (the detailed section shows the median run's only): what
 * a MISS needs to be read.
 */
function failureKindsOfAllRuns(measurements: readonly BurstMeasurement[]): string {
  return measurements
    .map((m, index) => {
      const kinds = [
        ...Object.entries(m.failureKinds),
        ...Object.entries(m.stop.failureKinds).map(([kind, count]) => [`stop: ${kind}`, count] as const),
      ].map(([kind, count]) => `${count} x ${kind}`);
      return kinds.length === 0 ? '' : `run ${index + 1}: ${kinds.join('; ')}`;
    })
    .filter((text) => text !== '')
    .join('; ');
}

export async function runBurst(
  root: string,
  packageDir: string,
  options: BenchOptions,
  log: (line: string) => void,
): Promise<{ sections: ReportSection[]; findings: string[] }> {
  const perScale: ReportRow[][] = [];
  const details: ReportSection[] = [];
  const findings: string[] = [];
  for (const timeScale of options.timeScales) {
    const measurements: BurstMeasurement[] = [];
    for (let run = 1; run <= options.repeats; run++) {
      log(`burst x${timeScale}, run ${run} of ${options.repeats}`);
      measurements.push(await runBurstOnce(root, packageDir, options, timeScale, log));
    }
    const ranked = [...measurements].sort((a, b) => burstFigures(a).convergeRatio - burstFigures(b).convergeRatio);
    const shown = ranked[Math.floor((ranked.length - 1) / 2)] as BurstMeasurement;
    const { rows, findings: found } = burstRows(shown);
    const stopped = stopRows(shown.stop, timeScale);
    rows.push(...stopped.rows);
    found.push(...stopped.findings);
    rows.unshift(
      informative(
        'bursts run (the table shows the median one)',
        String(measurements.length),
        `converge ratios in run order: ${measurements.map((m) => ratioText(burstFigures(m).convergeRatio)).join(', ')}; shown: run ${measurements.indexOf(shown) + 1}`,
      ),
    );
    perScale.push(headlineRows(timeScale, measurements));
    details.push({
      title: `Burst at time scale x${timeScale}${timeScale === 1 ? " (EC2's real rates)" : ''}, median run`,
      command: partCommand({ ...options, timeScales: [timeScale] }, 'burst'),
      rows,
    });
    findings.push(...found.map((finding) => `x${timeScale}: ${finding}`));
  }
  const scales = options.timeScales.map((scale) => `x${scale}`).join(', ');
  // Each figure at every scale side by side (x1, then x3, x10), so the headline reads across scales.
  const headline = (perScale[0] ?? []).flatMap((_, index) => perScale.flatMap((rows) => (rows[index] ? [rows[index]] : [])));
  return {
    sections: [
      {
        title: `Headline: the burst at time scales ${scales}, and the stop that follows (medians of ${options.repeats} runs each)`,
        command: partCommand(options, 'burst'),
        rows: headline,
        inReadme: true,
      },
      ...details,
    ],
    findings,
  };
}
