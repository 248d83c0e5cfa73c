/**
 * One steady-state sweep measurement on the local cloud: the fleet of sweep/fleet.ts, settled by the sweep itself
 * (throttling off, mutations allowed at 50/s so that setup takes seconds, not hours: in steady state the sweep makes
 * no mutating call, so the pacing does not change what is measured), then one full pass of the deployed sweep
 * function with the stack's own per-run budget at EC2's real rates, counted run by run. Setup sweeps with a larger
 * per-run budget (SETUP_INSTANCES_PER_RUN) so that settling 50,000 instances takes minutes, not an hour; the
 * measured pass runs with serverless.yml's SWEEP_MAX_INSTANCES.
 */
import os from 'node:os';
import path from 'node:path';
import { type LocalCloud, readStack, scheduledEvent, startLocalCloud } from '../../local/cloud';
import type { SweepSummary } from '../../shared/converge/sweep';
import { type DynamoCounter, startDynamoCounter } from '../dynamo-counter';
import { benchEc2Client } from '../ec2-client';
import { createTargetPool } from '../fleet/launch';
import { planFleet } from '../fleet/plan';
import type { BenchOptions } from '../options';
import { launchSweepFleet, type SweepFleetShape, untagHandMade } from './fleet';

const INIT_TIMEOUT_MS = 120_000;
const MAX_SETUP_PASSES = 4;
const SETUP_INSTANCES_PER_RUN = 2500;
const MIB = 1024 * 1024;

export interface SweepRun {
  readonly wallMs: number;
  readonly ec2Calls: number;
  readonly ec2MutatingCalls: number;
  /** Error codes EC2 answered to mutating calls (throttling aside), with their counts. */
  readonly ec2MutatingErrors: Readonly<Record<string, number>>;
  readonly dynamoRequests: number;
  readonly dynamoByOperation: Readonly<Record<string, number>>;
  readonly itemsRead: number;
  readonly historyItemsWritten: number;
  readonly outcomeEvents: number;
  readonly refusedEvents: number;
  readonly listed: number;
  readonly converged: number;
  readonly changes: number;
  /** Instances refused because the account holds AWS's 10,000 sessions (not adjustable). */
  readonly accountLimitRefusals: number;
}

export interface SweepMeasurement {
  readonly instances: number;
  readonly shape: SweepFleetShape;
  /** The runs of one full pass, in order (or of the attempt, when the pass did not complete). */
  readonly runs: readonly SweepRun[];
  /** Whether every listed instance was visited within the runs allowed (twice ceil(listed / budget), plus 2). */
  readonly passCompleted: boolean;
  /** Listed instances no run of the attempt visited (starvation). */
  readonly neverVisited: number;
  readonly maxInstancesPerRun: number;
  readonly runsPerDay: number;
  /** Ledger items when the pass started (history included). */
  readonly ledgerItems: number;
  /** Whether setup reached a complete pass with no change (a starving sweep never does). */
  readonly settled: boolean;
  readonly setupSeconds: number;
  readonly addedSubnets: number;
  /** Resident memory of the bench process (simulator, dynalite, bus: the local cloud runs in it), in MiB. */
  readonly memory: { readonly beforeFleetMiB: number; readonly afterFleetMiB: number; readonly afterPassMiB: number };
  readonly loadAverage: { readonly start: number; readonly end: number; readonly cores: number };
}

const formatSeconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function totalCalls(
  calls: Record<string, { total: number; errors: Record<string, number> }>,
  select: (action: string) => boolean = () => true,
): number {
  return Object.entries(calls).reduce((sum, [action, count]) => sum + (select(action) ? count.total : 0), 0);
}

async function invokeSweep(cloud: LocalCloud): Promise<{ summary: SweepSummary; wallMs: number }> {
  const lambda = cloud.lambdas['sweep'];
  if (!lambda) throw new Error('the sweep function is not deployed');
  const schedule = cloud.stack.schedules.find((candidate) => candidate.functionKey === 'sweep');
  const result = await lambda.invoke(scheduledEvent(schedule?.name ?? 'sweep', cloud.region, cloud.accountId));
  if (!result.ok) throw new Error(`the sweep failed: ${result.error?.errorType ?? result.failure}: ${result.error?.errorMessage ?? ''}`);
  return { summary: result.value as SweepSummary, wallMs: result.durationMs };
}

interface Pass {
  readonly changes: number;
  readonly completed: boolean;
  readonly neverVisited: number;
}

/**
 * Runs the sweep until every instance the first run listed has been visited (named by a decision), or until twice
 * the runs a full pass should need (plus 2) have gone by: a sweep that starves some instances ends here, not never.
 */
async function pass(
  cloud: LocalCloud,
  maxInstancesPerRun: number,
  beforeRun: () => void,
  afterRun: (summary: SweepSummary, wallMs: number) => void,
): Promise<Pass> {
  const visited = new Set<string>();
  let listed: number | undefined;
  let changes = 0;
  for (let run = 0; listed === undefined || (visited.size < listed && run < 2 * Math.ceil(listed / maxInstancesPerRun) + 2); run++) {
    beforeRun();
    const { summary, wallMs } = await invokeSweep(cloud);
    afterRun(summary, wallMs);
    listed ??= summary.listed;
    for (const decision of summary.decisions) visited.add(decision.instanceId);
    changes += summary.attached + summary.detached;
  }
  return { changes, completed: visited.size >= (listed ?? 0), neverVisited: Math.max(0, (listed ?? 0) - visited.size) };
}

/** Sweeps until a complete pass makes no change; false when MAX_SETUP_PASSES passes were not enough (starvation). */
async function settle(cloud: LocalCloud, maxInstancesPerRun: number, log: (line: string) => void): Promise<boolean> {
  for (let attempt = 1; attempt <= MAX_SETUP_PASSES; attempt++) {
    const { changes, completed } = await setupPass(cloud, maxInstancesPerRun, `setup pass ${attempt}`, log);
    if (changes === 0 && completed) return true;
  }
  return false;
}

/** One setup pass, each run logged: at 50,000 instances a pass takes many minutes. */
async function setupPass(cloud: LocalCloud, maxInstancesPerRun: number, name: string, log: (line: string) => void): Promise<Pass> {
  let run = 0;
  const started = performance.now();
  const done = await pass(
    cloud,
    maxInstancesPerRun,
    () => undefined,
    (summary, wallMs) => {
      run += 1;
      log(
        `sweep ${name}, run ${run}: ${summary.converged} converged, ${summary.attached + summary.detached} changes, ${summary.deferred} deferred in ${formatSeconds(wallMs)}`,
      );
    },
  );
  log(
    `sweep ${name}: ${done.changes} changes in ${formatSeconds(performance.now() - started)}${done.completed ? '' : ' (pass incomplete)'}`,
  );
  return done;
}

/** Every item of the ledger, history included, read past the counter (the bench's own reads are not the sweep's). */
async function countItems(cloud: LocalCloud): Promise<number> {
  const { DynamoDBClient, ScanCommand } = await import('@aws-sdk/client-dynamodb');
  const client = new DynamoDBClient({
    endpoint: cloud.dynamodbEndpoint,
    region: cloud.region,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  let count = 0;
  let startKey: Record<string, unknown> | undefined;
  try {
    do {
      const page = await client.send(
        new ScanCommand({ TableName: cloud.tableName, Select: 'COUNT', ExclusiveStartKey: startKey as never }),
      );
      count += page.Count ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  } finally {
    client.destroy();
  }
  return count;
}

export async function runSweepOnce(
  root: string,
  packageDir: string,
  options: BenchOptions,
  instances: number,
  log: (line: string) => void,
): Promise<SweepMeasurement> {
  const stack = readStack(path.join(root, 'serverless.yml'));
  const sweepFunction = stack.functions.find((fn) => fn.key === 'sweep');
  const rateMs = stack.schedules.find((schedule) => schedule.functionKey === 'sweep')?.rateMs;
  if (!sweepFunction || rateMs === undefined) throw new Error('serverless.yml has no sweep function on a rate schedule');
  const maxInstancesPerRun = Number(sweepFunction.environment['SWEEP_MAX_INSTANCES'] || 500);
  const cloud = await startLocalCloud({
    rootDir: root,
    functions: ['sweep'],
    code: { kind: 'packaged', dir: packageDir },
    simulator: { seed: options.seed },
    reservedConcurrency: { sweep: 1 },
    initTimeoutMs: INIT_TIMEOUT_MS,
    timeScale: 1,
  });
  const ec2 = benchEc2Client(cloud);
  let counter: DynamoCounter | undefined;
  try {
    const simulator = cloud.simulator;
    if (!simulator) throw new Error('the local cloud started without its EC2 simulator');
    counter = await startDynamoCounter(cloud.dynamodbEndpoint, { inspectItems: true });
    const environment = sweepFunction.environment;
    const tagKey = environment['MIRROR_TAG_KEY'] || 'traffic-mirror';
    const tagValue = environment['MIRROR_TAG_VALUE'] || 'true';
    const setupStarted = performance.now();

    simulator.setThrottling({ enabled: false });
    const beforeFleetMiB = process.memoryUsage().rss / MIB;
    const pool = await createTargetPool(
      ec2,
      planFleet({ instances: 0, twoEniShare: 0, unsupportedShare: 0, zones: 3, seed: options.seed }),
    );
    const handMadeTarget = pool.loadBalancerTargetIds[0];
    if (!handMadeTarget) throw new Error('the target pool has no load balancer target');
    log(`sweep x${instances}: launching the fleet`);
    const fleet = await launchSweepFleet(ec2, instances, { tagKey, tagValue, targetId: handMadeTarget, filterId: pool.filterId });
    await simulator.settle();
    const afterFleetMiB = process.memoryUsage().rss / MIB;
    const configuration = {
      MIRROR_TARGET_IDS: pool.targetIds.join(','),
      MIRROR_FILTER_ID: pool.filterId,
      AWS_ENDPOINT_URL_DYNAMODB: counter.endpoint,
      SWEEP_MUTATIONS_PER_SECOND: '50',
      SWEEP_MUTATION_BURST: '50',
    };
    const setupBudget = Math.max(maxInstancesPerRun, SETUP_INSTANCES_PER_RUN);
    await cloud.deployFunctions({ ...configuration, SWEEP_MAX_INSTANCES: String(setupBudget) });
    log(`sweep x${instances}: settling ${JSON.stringify(fleet.shape)}, ${setupBudget} instances per run`);
    // One pass mirrors the tagged fleet (the hand-made instances included, so that the ledger remembers them); once
    // they are untagged, passes run until one changes nothing. The first needs no confirming pass of its own.
    const mirrored = await setupPass(cloud, setupBudget, 'setup pass (mirror)', log);
    await untagHandMade(ec2, fleet, tagKey);
    const settled = (await settle(cloud, setupBudget, log)) && mirrored.completed;
    await simulator.settle();
    await cloud.deployFunctions(configuration, { prewarm: 1 });
    const setupSeconds = (performance.now() - setupStarted) / 1000;
    const ledgerItems = await countItems(cloud);

    simulator.setThrottling({ enabled: true, timeScale: 1 });
    const loadAtStart = os.loadavg()[0] ?? 0;
    const runs: SweepRun[] = [];
    let outcomesBefore = 0;
    const dynamoCounter = counter;
    const measured = await pass(
      cloud,
      maxInstancesPerRun,
      () => {
        simulator.resetCalls();
        dynamoCounter.reset();
        outcomesBefore = cloud.bus.outcomes().length;
      },
      (summary, wallMs) => {
        const outcomes = cloud.bus.outcomes().slice(outcomesBefore);
        const dynamo = dynamoCounter.counts();
        const calls = simulator.calls();
        runs.push({
          wallMs,
          ec2Calls: totalCalls(calls),
          ec2MutatingCalls: totalCalls(calls, (action) => !action.startsWith('Describe')),
          ec2MutatingErrors: Object.entries(calls)
            .filter(([action]) => !action.startsWith('Describe'))
            .reduce<Record<string, number>>((errors, [, count]) => {
              for (const [code, n] of Object.entries(count.errors)) errors[code] = (errors[code] ?? 0) + n;
              return errors;
            }, {}),
          dynamoRequests: dynamo.requests,
          dynamoByOperation: dynamo.byOperation,
          itemsRead: dynamo.itemsRead,
          historyItemsWritten: dynamo.historyItemsWritten,
          outcomeEvents: outcomes.length,
          refusedEvents: outcomes.filter((event) => event['detail-type'] === 'Mirror Session Refused').length,
          listed: summary.listed,
          converged: summary.converged,
          changes: summary.attached + summary.detached,
          accountLimitRefusals: new Set(
            summary.decisions.filter((decision) => decision.reason === 'account-session-limit').map((decision) => decision.instanceId),
          ).size,
        });
        const run = runs[runs.length - 1];
        log(
          `sweep x${instances}: measured run ${runs.length}: ${summary.converged} converged, ${summary.deferred} deferred in ${formatSeconds(wallMs)}; EC2 ${run?.ec2Calls} calls (${run?.ec2MutatingCalls} mutating), DynamoDB ${run?.dynamoRequests} requests, ${run?.itemsRead} items read, ${run?.historyItemsWritten} history items; RSS ${Math.round(process.memoryUsage().rss / MIB)} MiB`,
        );
      },
    );
    log(
      `sweep x${instances}: ${measured.completed ? 'full pass' : `pass NOT completed (${measured.neverVisited} never visited)`} in ${runs.length} runs`,
    );
    return {
      instances,
      shape: fleet.shape,
      runs,
      passCompleted: measured.completed,
      neverVisited: measured.neverVisited,
      maxInstancesPerRun,
      runsPerDay: 86_400_000 / rateMs,
      ledgerItems,
      settled,
      setupSeconds,
      addedSubnets: fleet.addedSubnets,
      memory: { beforeFleetMiB, afterFleetMiB, afterPassMiB: process.memoryUsage().rss / MIB },
      loadAverage: { start: loadAtStart, end: os.loadavg()[0] ?? 0, cores: os.availableParallelism() },
    };
  } finally {
    ec2.destroy();
    await cloud.stop().catch((error: unknown) => log(`stopping the local cloud: ${(error as Error).message}`));
    await counter?.close();
  }
}
