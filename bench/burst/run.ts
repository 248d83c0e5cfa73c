/**
 * One burst, end to end on the local cloud: setup without throttling, then the burst with AWS's buckets on
 * (time-scaled), convergence watched on the simulator's state in process, then a bounded settle and the invariant
 * checker on the final world. Everything the handlers do goes over loopback HTTP through the real SDK.
 */
import { createWriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CallCount, Simulator } from '@vpc-mirror-orchestrator/ec2-sim';
import { type LocalCloud, readStack, startLocalCloud } from '../../local/cloud';
import { checkInvariants, computeEligibleEnis, worldFromSnapshot } from '../../local/oracle';
import { OWNER_TAG } from '../../shared/aws/ownership';
import { type DynamoCounter, startDynamoCounter } from '../dynamo-counter';
import { benchEc2Client } from '../ec2-client';
import { burstRequests, createTargetPool, launchBurst } from '../fleet/launch';
import { planFleet } from '../fleet/plan';
import type { BenchOptions } from '../options';
import { cpuByPid, ownCpuMs } from './cpu';
import { type Identity, identityOf, invariantOptionsOf } from './identity';
import type { BurstMeasurement, ConvergenceTimes } from './measurement';
import { physicalLimitSeconds } from './physical-limit';
import { stopTheFleet } from './stop';

const POLL_MS = 200;
const PROGRESS_EVERY_MS = 5_000;
const SETTLE_AFTER_CONVERGENCE_MS = 60_000;
const SETUP_SETTLE_MS = 120_000;
/** Containers started at once while prewarming: one per core keeps init times honest on a small machine. */
const PREWARM_BATCH = 2;
/** Module load bound while prewarming on a loaded machine (Lambda's own is 10 s on a dedicated vCPU). */
const INIT_TIMEOUT_MS = 120_000;
/** Actions only the bench calls during the burst (the handlers never launch instances). */
const BENCH_ONLY_ACTIONS = new Set(['RunInstances']);

/** Managed sessions on eligible ENIs, read from the simulator in process (no API call, no token taken). */
function mirroredEligible(
  simulator: Simulator,
  identity: Identity,
  poolTargetIds: readonly string[],
): { eligible: number; mirrored: number } {
  const world = worldFromSnapshot(simulator.snapshot());
  const eligible = computeEligibleEnis(world, invariantOptionsOf(identity, poolTargetIds));
  const mirrored = new Set(
    world.sessions.filter((s) => s.tags[OWNER_TAG] === identity.ownerId && eligible.has(s.eniId)).map((s) => s.eniId),
  );
  return { eligible: eligible.size, mirrored: mirrored.size };
}

async function watchConvergence(
  simulator: Simulator,
  identity: Identity,
  poolTargetIds: readonly string[],
  expected: number,
  started: number,
  timeoutMs: number,
  progress: (line: string) => void,
): Promise<ConvergenceTimes> {
  const seconds = () => (performance.now() - started) / 1000;
  let first: number | undefined;
  let half: number | undefined;
  let ninety: number | undefined;
  let lastProgress = performance.now();
  for (;;) {
    const { eligible, mirrored } = mirroredEligible(simulator, identity, poolTargetIds);
    const now = seconds();
    if (first === undefined && mirrored > 0) first = now;
    if (half === undefined && mirrored >= expected / 2) half = now;
    if (ninety === undefined && mirrored >= expected * 0.9) ninety = now;
    if (eligible === expected && mirrored === expected) {
      return {
        convergedSeconds: now,
        firstSessionSeconds: first,
        halfSeconds: half,
        ninetyPercentSeconds: ninety,
        sessionsAtEnd: mirrored,
      };
    }
    if (now * 1000 > timeoutMs) {
      return {
        convergedSeconds: undefined,
        firstSessionSeconds: first,
        halfSeconds: half,
        ninetyPercentSeconds: ninety,
        sessionsAtEnd: mirrored,
      };
    }
    if (performance.now() - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = performance.now();
      const throttled = Object.values(simulator.calls()).reduce((sum, count) => sum + count.throttled, 0);
      progress(
        `${now.toFixed(1)} s: ${mirrored}/${expected} ENIs mirrored (${eligible} eligible so far), ${throttled} EC2 calls throttled`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/**
 * On AWS every container cold-starts on its own vCPU, in parallel; here they would all share two cores and time the
 * machine, not the product. So the functions the burst triggers are started before the clock starts, a core's worth
 * at a time; cold start is measured on its own (the Functions section).
 */
export async function prewarm(
  cloud: LocalCloud,
  concurrency: Readonly<Record<string, number>>,
  log: (line: string) => void,
): Promise<void> {
  const triggered = cloud.stack.functions.filter((fn) => fn.rules.some((rule) => rule.enabled)).map((fn) => fn.key);
  const started = performance.now();
  for (const key of triggered) {
    const lambda = cloud.lambdas[key];
    const wanted = concurrency[key] ?? 0;
    if (!lambda) continue;
    for (let count = Math.min(PREWARM_BATCH, wanted); ; count = Math.min(count + PREWARM_BATCH, wanted)) {
      await lambda.prewarm(count);
      if (count >= wanted) break;
    }
  }
  log(
    `prewarmed ${triggered.map((key) => `${key} x${concurrency[key]}`).join(', ')} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

function withoutBenchCalls(calls: Record<string, CallCount>): Record<string, CallCount> {
  return Object.fromEntries(Object.entries(calls).filter(([action]) => !BENCH_ONLY_ACTIONS.has(action)));
}

/** The wait for convergence: --converge-timeout, or three times the physical limit when that is longer (x1 bursts). */
function convergeTimeoutMs(options: BenchOptions, expectedSessions: number, timeScale: number): number {
  return Math.max(options.convergeTimeoutSeconds, 3 * physicalLimitSeconds(expectedSessions, timeScale)) * 1000;
}

export async function runBurstOnce(
  root: string,
  packageDir: string,
  options: BenchOptions,
  timeScale: number,
  log: (line: string) => void,
): Promise<BurstMeasurement> {
  // --concurrency bounds both the functions' containers and, where events come through SQS, the event source
  // mappings' maximum concurrency (serverless.yml's queueMaximumConcurrency parameter).
  const params = { queueMaximumConcurrency: String(options.concurrency) };
  const stack = readStack(path.join(root, 'serverless.yml'), { params });
  const plan = planFleet({
    instances: options.instances,
    twoEniShare: options.twoEniShare,
    unsupportedShare: options.unsupportedShare,
    zones: 3,
    seed: options.seed,
  });
  // Every function gets --concurrency containers, except where the stack itself reserves fewer (the sweep).
  const concurrency = Object.fromEntries(
    stack.functions
      .filter((fn) => options.functions?.includes(fn.key) ?? true)
      .map((fn) => [fn.key, Math.min(fn.reservedConcurrency ?? options.concurrency, options.concurrency)]),
  );
  const logLevels: Record<string, number> = {};
  const failureKinds: Record<string, number> = {};
  const decisions: Record<string, number> = {};
  const attachedBy = new Map<string, Set<string>>();
  const containersSeen = new Set<string>();
  const durations = { firstInContainer: [] as number[], later: [] as number[] };
  const handlerLog = options.handlerLog ? createWriteStream(path.resolve(options.handlerLog)) : undefined;
  log(`starting the local cloud (bundles from ${path.relative(root, packageDir)}, concurrency ${JSON.stringify(concurrency)})`);
  const cloud = await startLocalCloud({
    rootDir: root,
    params,
    ...(options.functions ? { functions: options.functions } : {}),
    code: { kind: 'packaged', dir: packageDir },
    simulator: { seed: options.seed },
    reservedConcurrency: concurrency,
    initTimeoutMs: INIT_TIMEOUT_MS,
    // Lambda's async retry delays (1 and 2 minutes) shrink with the same time scale as EC2's buckets.
    timeScale: 1 / timeScale,
    onInvocation: (report) => {
      const firstInContainer = report.containerId !== undefined && !containersSeen.has(report.containerId);
      if (report.containerId !== undefined) containersSeen.add(report.containerId);
      (firstInContainer ? durations.firstInContainer : durations.later).push(report.durationMs);
      if (report.ok) return;
      const key = `${report.functionKey} ${report.failure ?? 'error'}: ${report.error?.errorType ?? '?'}: ${(report.error?.errorMessage ?? '').slice(0, 160)}`;
      failureKinds[key] = (failureKinds[key] ?? 0) + 1;
    },
    logSink: (line) => {
      handlerLog?.write(
        `${JSON.stringify({ at: line.at, fn: line.functionKey, container: line.containerId, request: line.requestId, line: line.json ?? line.line })}\n`,
      );
      const level = typeof line.json?.['level'] === 'string' ? (line.json['level'] as string) : line.stream;
      logLevels[level] = (logLevels[level] ?? 0) + 1;
      if (line.json?.['message'] === 'decision') countDecision(line.json, line.requestId, decisions, attachedBy);
    },
  });
  let counter: DynamoCounter | undefined;
  const ec2 = benchEc2Client(cloud);
  try {
    const simulator = cloud.simulator;
    if (!simulator) throw new Error('the local cloud started without its EC2 simulator');
    const identity = identityOf(cloud);
    counter = await startDynamoCounter(cloud.dynamodbEndpoint);

    log(
      `setup: filter and target pool (${plan.targets.interfaceTargetsPerZone} interface targets per zone, ${plan.targets.loadBalancerTargets} NLB targets), throttling off`,
    );
    simulator.setThrottling({ enabled: false });
    const pool = await createTargetPool(ec2, plan);
    await cloud.deployFunctions({
      MIRROR_TARGET_IDS: pool.targetIds.join(','),
      MIRROR_FILTER_ID: pool.filterId,
      AWS_ENDPOINT_URL_DYNAMODB: counter.endpoint,
      ...(options.handlerNodeOptions !== undefined ? { NODE_OPTIONS: options.handlerNodeOptions } : {}),
    });
    if (!(await cloud.settle(SETUP_SETTLE_MS))) throw new Error(`the local cloud did not settle within ${SETUP_SETTLE_MS} ms after setup`);
    await prewarm(cloud, concurrency, log);

    const requests = burstRequests(plan, pool.zones, identity.tagKey, identity.tagValue);
    simulator.resetCalls();
    counter.reset();
    simulator.setThrottling({ enabled: true, timeScale });
    log(
      `burst: ${plan.instances.length} tagged instances (${plan.expectedSessions} ENIs) in ${requests.length} RunInstances calls, throttling on x${timeScale}`,
    );
    // Admitted creates by ClientToken: a token seen twice is an idempotent replay, a call that created nothing.
    const createsByToken = new Map<string, number>();
    const createsAdmittedAt: number[] = [];
    const unhook = simulator.hook('CreateTrafficMirrorSession', 'before', (params) => {
      const token = params['ClientToken'] ?? '(none)';
      createsByToken.set(token, (createsByToken.get(token) ?? 0) + 1);
      createsAdmittedAt.push((performance.now() - started) / 1000);
    });
    const containerPids = () =>
      Object.values(cloud.lambdas).flatMap((lambda) => lambda.stats().containers.flatMap((c) => (c.pid === undefined ? [] : [c.pid])));
    const cpuBefore = cpuByPid(containerPids());
    const ownCpuBefore = ownCpuMs();
    const loadAtStart = os.loadavg()[0] ?? 0;
    const started = performance.now();
    const launched = await launchBurst(ec2, requests);
    if (launched.length !== plan.instances.length) {
      throw new Error(`RunInstances launched ${launched.length} instances, ${plan.instances.length} planned`);
    }
    const times = await watchConvergence(
      simulator,
      identity,
      pool.targetIds,
      plan.expectedSessions,
      started,
      convergeTimeoutMs(options, plan.expectedSessions, timeScale),
      log,
    );
    log(
      times.convergedSeconds === undefined
        ? `not converged after ${convergeTimeoutMs(options, plan.expectedSessions, timeScale) / 1000} s: ${times.sessionsAtEnd}/${plan.expectedSessions}`
        : `converged in ${times.convergedSeconds.toFixed(2)} s; waiting for the functions to go idle`,
    );
    const settleStarted = performance.now();
    const settled = await cloud.settle(SETTLE_AFTER_CONVERGENCE_MS);
    const settleSeconds = settled ? (performance.now() - settleStarted) / 1000 : undefined;

    unhook();
    const cpuAfter = cpuByPid(containerPids());
    const handlerCpuMs = [...cpuAfter].reduce((sum, [pid, ms]) => sum + ms - (cpuBefore.get(pid) ?? 0), 0);
    const localCloudCpuMs = ownCpuMs() - ownCpuBefore;
    const burstWallSeconds = (performance.now() - started) / 1000;
    const loadAtEnd = os.loadavg()[0] ?? 0;
    const snapshot = simulator.snapshot();
    const invariants = checkInvariants(worldFromSnapshot(snapshot), invariantOptionsOf(identity, pool.targetIds));
    const burst = {
      instances: plan.instances.length,
      instancesWithTwoEnis: plan.instances.filter((instance) => instance.eniCount === 2).length,
      expectedSessions: plan.expectedSessions,
      interfaceTargets: pool.interfaceTargetIds.length,
      loadBalancerTargets: pool.loadBalancerTargetIds.length,
      timeScale,
      concurrency,
      memorySizeMb: Object.fromEntries(stack.functions.map((fn) => [fn.key, fn.memorySizeMb])),
      times,
      settleSeconds,
      physicalLimitSeconds: physicalLimitSeconds(plan.expectedSessions, timeScale),
      ec2Calls: withoutBenchCalls(simulator.calls()),
      dynamo: counter.counts(),
      lambdas: Object.values(cloud.lambdas).map((lambda) => lambda.stats()),
      deadLetters: cloud.deadLetters.size,
      createReplays: [...createsByToken.values()].reduce((sum, n) => sum + n - 1, 0),
      createsAdmittedAt,
      queues: Object.values(cloud.queues).map((queue) => ({ name: queue.logicalId, ...queue.stats() })),
      eventSources: Object.values(cloud.eventSources).map((source) => ({ functionKey: source.functionKey, ...source.stats() })),
      invariants,
      managedSessions: snapshot.sessions.filter((session) => session.tags[OWNER_TAG] === identity.ownerId).length,
      // Copies: the stop below goes on counting into these.
      logLevels: { ...logLevels },
      decisions: { ...decisions },
      instancesAttachedByTwo: [...attachedBy.values()].filter((invocations) => invocations.size > 1).length,
      failureKinds: { ...failureKinds },
      durations: { firstInContainer: [...durations.firstInContainer], later: [...durations.later] },
      cpu: { handlerMs: handlerCpuMs, localCloudMs: localCloudCpuMs, wallSeconds: burstWallSeconds, containersMeasured: cpuAfter.size },
      loadAverage: { start: loadAtStart, end: loadAtEnd, cores: os.availableParallelism() },
    };
    const stop = await stopTheFleet({
      cloud,
      simulator,
      ec2,
      counter,
      identity,
      poolTargetIds: pool.targetIds,
      instanceIds: launched,
      timeScale,
      timeoutMs: convergeTimeoutMs(options, plan.expectedSessions, timeScale),
      decisions,
      failureKinds,
      log,
    });
    return { ...burst, stop };
  } finally {
    ec2.destroy();
    await cloud.stop().catch((error: unknown) => log(`stopping the local cloud: ${(error as Error).message}`));
    await counter?.close();
    await new Promise<void>((resolve) => (handlerLog ? handlerLog.end(() => resolve()) : resolve()));
  }
}

/** One decision line: counted by "action:reason", and its invocation remembered for the instance it attached. */
function countDecision(
  fields: Readonly<Record<string, unknown>>,
  requestId: string | undefined,
  decisions: Record<string, number>,
  attachedBy: Map<string, Set<string>>,
): void {
  const key = `${String(fields['action'])}:${String(fields['reason'])}`;
  decisions[key] = (decisions[key] ?? 0) + 1;
  if (fields['action'] !== 'attach' || typeof fields['instanceId'] !== 'string') return;
  const invocations = attachedBy.get(fields['instanceId']) ?? new Set<string>();
  invocations.add(requestId ?? '?');
  attachedBy.set(fields['instanceId'], invocations);
}
