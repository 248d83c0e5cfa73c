/** The "Burst" section of the report: one burst, or the median of several (--repeats). */
import type { BenchOptions } from '../options';
import { formatNumber, informative, type ReportSection } from '../report/model';
import type { BurstMeasurement } from './measurement';
import { burstRows } from './rows';
import { runBurstOnce } from './run';

/** Converge time over the physical limit; a burst that did not converge ranks last. */
function convergeRatio(measurement: BurstMeasurement): number {
  const seconds = measurement.times.convergedSeconds;
  if (seconds === undefined) return Number.POSITIVE_INFINITY;
  return measurement.physicalLimitSeconds > 0 ? seconds / measurement.physicalLimitSeconds : seconds;
}

export async function runBurst(
  root: string,
  packageDir: string,
  options: BenchOptions,
  log: (line: string) => void,
): Promise<{ section: ReportSection; findings: string[] }> {
  const measurements: BurstMeasurement[] = [];
  for (let run = 1; run <= options.repeats; run++) {
    if (options.repeats > 1) log(`burst ${run} of ${options.repeats}`);
    measurements.push(await runBurstOnce(root, packageDir, options, log));
  }
  const ranked = [...measurements].sort((a, b) => convergeRatio(a) - convergeRatio(b));
  const shown = ranked[Math.floor((ranked.length - 1) / 2)] as BurstMeasurement;
  const { rows, findings } = burstRows(shown);
  if (measurements.length > 1) {
    const ratios = measurements.map((m) => (Number.isFinite(convergeRatio(m)) ? formatNumber(convergeRatio(m)) : 'timed out'));
    rows.unshift(
      informative(
        `bursts run (the table shows the median one)`,
        String(measurements.length),
        `converge ratios in run order: ${ratios.join(', ')}; shown: run ${measurements.indexOf(shown) + 1}`,
      ),
    );
  }
  return { section: { title: 'Burst (local cloud, EC2 throttling on)', rows }, findings };
}
