/** The "Burst" section of the report. */
import type { BenchOptions } from '../options';
import type { ReportSection } from '../report/model';
import { burstRows } from './rows';
import { runBurstOnce } from './run';

export async function runBurst(
  root: string,
  packageDir: string,
  options: BenchOptions,
  log: (line: string) => void,
): Promise<{ section: ReportSection; findings: string[] }> {
  const measurement = await runBurstOnce(root, packageDir, options, log);
  const { rows, findings } = burstRows(measurement);
  return { section: { title: 'Burst (local cloud, EC2 throttling on)', rows }, findings };
}
