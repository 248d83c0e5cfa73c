/** The "Steady-state sweep" section: per fleet size, --sweep-repeats full passes over a settled fleet; medians. */
import { AWS_LIMITS } from '@vpc-mirror-orchestrator/ec2-sim';
import { type BenchOptions, partCommand } from '../options';
import { atMost, exactly, formatNumber, informative, judged, type ReportRow, type ReportSection } from '../report/model';
import { median } from '../stats';
import { runSweepOnce, type SweepMeasurement, type SweepRun } from './run';

/** Traffic Mirroring's sessions per account and Region (not adjustable; docs/AWS-FACTS.md). */

/** Where the fleet was launched, and what a real account would need first. */
function placement(m: SweepMeasurement): string {
  const subnets =
    m.addedSubnets > 0
      ? `the default VPC's three /20 subnets hold ~12,270 addresses, so the bench added ${m.addedSubnets} subnets to it (CreateSubnet, as an account would)`
      : "launched into the default VPC's subnets";
  // m5.large and t2.micro: 2 and 1 vCPUs. The simulator enforces no vCPU quota; AWS does, per account and Region.
  const vcpus = 2 * (m.instances - m.shape.refused) + m.shape.refused;
  return `${subnets}; on AWS the Running On-Demand Standard instances quota (vCPUs, adjustable through Service Quotas) would have to be raised to ~${formatNumber(vcpus)} vCPUs first`;
}

function mutatingErrors(m: SweepMeasurement): string {
  const errors = m.runs.reduce<Record<string, number>>((totals, run) => {
    for (const [code, count] of Object.entries(run.ec2MutatingErrors)) totals[code] = (totals[code] ?? 0) + count;
    return totals;
  }, {});
  const listed = Object.entries(errors).map(([code, count]) => `${code} ${count}`);
  return listed.length === 0 ? 'no mutating call refused' : `refused in the first pass: ${listed.join(', ')}`;
}

const sum = (runs: readonly SweepRun[], pick: (run: SweepRun) => number): number => runs.reduce((total, run) => total + pick(run), 0);

function fleetRows(measurements: readonly SweepMeasurement[]): ReportRow[] {
  const first = measurements[0];
  if (!first) return [];
  const n = `${formatNumber(first.instances)} instances`;
  const medianPerRun = (pick: (run: SweepRun) => number): number => median(measurements.map((m) => median(m.runs.map(pick))));
  const medianPerPass = (pick: (run: SweepRun) => number): number => median(measurements.map((m) => sum(m.runs, pick)));
  const perRun = (pick: (run: SweepRun) => number): string =>
    `per run, median of each pass: ${measurements.map((m) => formatNumber(median(m.runs.map(pick)), 0)).join(', ')}`;
  const historyPerDay = median(measurements.map((m) => (sum(m.runs, (run) => run.historyItemsWritten) / m.runs.length) * m.runsPerDay));
  const refusedPerDay = median(measurements.map((m) => (sum(m.runs, (run) => run.refusedEvents) / m.runs.length) * m.runsPerDay));
  const operations = Object.entries(
    first.runs.reduce<Record<string, number>>((totals, run) => {
      for (const [operation, count] of Object.entries(run.dynamoByOperation)) totals[operation] = (totals[operation] ?? 0) + count;
      return totals;
    }, {}),
  )
    .map(([operation, count]) => `${operation} ${formatNumber(count / first.runs.length, 1)}`)
    .join(', ');
  const { shape } = first;
  const tracked = shape.tagged + shape.stopped + shape.refused + shape.handMade;
  const quotaRefused = median(measurements.map((m) => sum(m.runs, (run) => run.accountLimitRefusals)));
  const quotaRows: ReportRow[] =
    shape.tagged + shape.handMade > AWS_LIMITS.sessionsPerAccount || quotaRefused > 0
      ? [
          informative(
            `${n}: tagged instances refused, account session quota`,
            formatNumber(quotaRefused, 0),
            `${shape.tagged} tagged and running + ${shape.handMade} hand-made sessions want ${formatNumber(shape.tagged + shape.handMade)} sessions; AWS allows ${formatNumber(AWS_LIMITS.sessionsPerAccount)} per account and Region, not adjustable (Traffic Mirroring quotas): one account cannot mirror this fleet, the rest is refused as account-session-limit`,
          ),
        ]
      : [];
  return [
    informative(
      `${n}: fleet`,
      `${formatNumber(tracked)} tracked`,
      `${shape.tagged} tagged and running, ${shape.stopped} tagged and stopped, ${shape.refused} tagged but refused (t2.micro), ${shape.handMade} untagged with a hand-made session the ledger remembers, ${shape.untagged} untagged; one ENI each; ledger ${formatNumber(first.ledgerItems)} items when the pass started; settled in ${formatNumber(first.setupSeconds, 0)} s; ${placement(first)}`,
    ),
    ...quotaRows,
    judged(
      `${n}: fleet settled before the pass (a complete sweep pass with no change)`,
      measurements.filter((m) => !m.settled).length,
      exactly(0),
      measurements.map((m) => (m.settled ? 'yes' : 'no')).join(', '),
      'per pass measured; a sweep that starves some instance, or keeps changing, does not settle within 4 passes',
    ),
    measurements.every((m) => m.passCompleted)
      ? judged(
          `${n}: runs for a full pass`,
          median(measurements.map((m) => m.runs.length)),
          atMost(Math.ceil(tracked / first.maxInstancesPerRun)),
          undefined,
          `per pass: ${measurements.map((m) => m.runs.length).join(', ')}; goal ceil(${tracked} tracked / ${first.maxInstancesPerRun} per run, SWEEP_MAX_INSTANCES)`,
        )
      : {
          metric: `${n}: runs for a full pass`,
          measured: 'never',
          goal: `<= ${Math.ceil(tracked / first.maxInstancesPerRun)}`,
          verdict: 'MISS',
          note: `after ${measurements.map((m) => m.runs.length).join(', ')} runs, ${measurements.map((m) => m.neverVisited).join(', ')} listed instances were never visited (starvation)`,
        },
    informative(
      `${n}: wall time per run`,
      `${formatNumber(medianPerRun((run) => run.wallMs) / 1000, 1)} s`,
      `${perRun((run) => run.wallMs)} ms; the function's timeout is 300 s`,
    ),
    informative(
      `${n}: EC2 calls per run`,
      formatNumber(
        medianPerRun((run) => run.ec2Calls),
        0,
      ),
      `${perRun((run) => run.ec2Calls)}; per pass ${formatNumber(
        medianPerPass((run) => run.ec2Calls),
        0,
      )}`,
    ),
    judged(
      `${n}: EC2 mutating calls per pass`,
      medianPerPass((run) => run.ec2MutatingCalls),
      exactly(0),
      undefined,
      `steady state: nothing to change; ${mutatingErrors(first)}`,
    ),
    informative(
      `${n}: DynamoDB requests per run`,
      formatNumber(
        medianPerRun((run) => run.dynamoRequests),
        0,
      ),
      `${perRun((run) => run.dynamoRequests)}; by operation (mean per run, first pass): ${operations}`,
    ),
    informative(
      `${n}: DynamoDB items read per run`,
      formatNumber(
        medianPerRun((run) => run.itemsRead),
        0,
      ),
      `${perRun((run) => run.itemsRead)}; per pass ${formatNumber(
        medianPerPass((run) => run.itemsRead),
        0,
      )}`,
    ),
    judged(
      `${n}: history items written per day when nothing changes`,
      historyPerDay,
      exactly(0),
      formatNumber(historyPerDay, 0),
      `history items per run x ${formatNumber(first.runsPerDay, 0)} runs a day (the sweep schedule)`,
    ),
    judged(
      `${n}: Mirror Session Refused events per day when nothing changes`,
      refusedPerDay,
      exactly(0),
      formatNumber(refusedPerDay, 0),
      'each one can fire the README alert rule',
    ),
    judged(
      `${n}: changes made during the measured pass`,
      medianPerPass((run) => run.changes),
      exactly(0),
      undefined,
      'attach + detach: a steady fleet needs none',
    ),
    informative(
      `${n}: bench process memory (RSS)`,
      `${formatNumber(median(measurements.map((m) => m.memory.afterPassMiB)), 0)} MiB`,
      `after the pass, median; the simulator, dynalite and the bus run in this process (the sweep in its own): ${measurements
        .map(
          (m) =>
            `${formatNumber(m.memory.beforeFleetMiB, 0)} before the fleet, ${formatNumber(m.memory.afterFleetMiB, 0)} once launched, ${formatNumber(m.memory.afterPassMiB, 0)} after the pass`,
        )
        .join('; ')} MiB`,
    ),
    informative(
      `${n}: machine load (1-min load average) per pass`,
      measurements.map((m) => `${formatNumber(m.loadAverage.start, 1)}-${formatNumber(m.loadAverage.end, 1)}`).join(', '),
      `${first.loadAverage.cores} cores; start-end of each pass`,
    ),
  ];
}

export async function runSweepBench(
  root: string,
  packageDir: string,
  options: BenchOptions,
  log: (line: string) => void,
): Promise<{ section: ReportSection; findings: string[] }> {
  const rows: ReportRow[] = [];
  for (const instances of options.sweepFleets) {
    const measurements: SweepMeasurement[] = [];
    for (let run = 1; run <= options.sweepRepeats; run++) {
      log(`sweep over ${instances} instances, pass ${run} of ${options.sweepRepeats}`);
      measurements.push(await runSweepOnce(root, packageDir, options, instances, log));
    }
    rows.push(...fleetRows(measurements));
  }
  const findings = rows
    .filter((row) => row.verdict === 'MISS')
    .map((row) => `Sweep missed its goal: ${row.metric} ${row.measured} (goal ${row.goal}).`);
  return {
    section: {
      title: `Steady-state sweep (one full pass over a settled fleet, medians of ${options.sweepRepeats} passes)`,
      command: partCommand(options, 'sweep'),
      rows,
      inReadme: true,
    },
    findings,
  };
}
