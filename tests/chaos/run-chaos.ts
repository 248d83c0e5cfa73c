/**
 * One chaos run: the whole stack on loopback (dynalite, the EC2 simulator, the local bus, the real handlers in
 * LocalLambda child processes), a seeded schedule of launches, tags, stops and terminations, the bus dropping,
 * duplicating and delaying (reordering) deliveries, EC2 faults, concurrent handlers on one instance, and handler
 * processes SIGKILLed at mirror-session calls. Then the scheduled sweep (the Lambda, now), and the next one after
 * the grace period (in-process: a child process's clock cannot be moved). Then the invariants, on the simulator's
 * final state, and the ledger audit.
 */

import { performance } from 'node:perf_hooks';
import { CreateTrafficMirrorSessionCommand } from '@aws-sdk/client-ec2';
import { seededRandom } from '@vpc-mirror-orchestrator/ec2-sim';
import { judgeEndState, OWNER_TAG, type WorldSession, worldFromSnapshot } from '../../local/oracle';
import { DEFAULT_SWEEP_SETTINGS } from '../../shared/config/sweep-settings';
import { SLOT_GRACE_MS } from '../../shared/converge';
import { type SweepSummary, sweep } from '../../shared/converge/sweep';
import { wire } from '../support/deps';
import { type ReliabilityCloud, startReliabilityCloud } from '../support/local-cloud';
import { fixtureEvent } from '../support/test-cloud';
import { type ChaosStep, chaosSchedule } from './schedule';

export interface ChaosOptions {
  readonly seed: number;
  readonly initialInstances?: number;
  readonly steps?: number;
  /** Handler processes killed at most per run (each kill costs a cold start). */
  readonly maxCrashes?: number;
  readonly log?: (line: string) => void;
}

export interface ChaosFigures {
  readonly seed: number;
  readonly steps: number;
  readonly instances: number;
  /** Events the simulator emitted onto the bus, and deliveries of them to handlers. */
  readonly events: number;
  readonly deliveries: number;
  readonly duplicates: number;
  /** Deliveries held back by a random delay (which reorders them). */
  readonly reorders: number;
  readonly drops: number;
  /** Extra concurrent invocations sent directly (storms). */
  readonly stormInvocations: number;
  /** EC2 answers replaced by an injected RequestLimitExceeded or InternalError. */
  readonly faults: number;
  readonly crashes: number;
  readonly handlerAttempts: number;
  /** Invocations that died with their process (the kills, as the runtime saw them). */
  readonly handlerCrashes: number;
  /** Batches an event queue delivered, those that failed as a whole, and messages delivered again after that. */
  readonly batches: number;
  readonly failedBatches: number;
  readonly redeliveries: number;
  /** Async retries (direct invocations, the sweep). */
  readonly retries: number;
  /** Messages redriven and async invocations that ran out of retries: the sweep has to cover for them. */
  readonly deadLettered: number;
  readonly handMadeSessions: number;
  readonly eligibleEnis: number;
  readonly managedSessions: number;
  readonly sweepAttached: number;
  readonly sweepDetached: number;
  readonly sweepReleased: number;
  /** Changes made by one more sweep after everything settled: must be 0 (converged means converged). */
  readonly changesAfterConverged: number;
  readonly violations: number;
  readonly violationDetails: readonly string[];
  readonly wallSeconds: number;
}

const BUS_CHAOS = { dropRate: 0.15, duplicateRate: 0.2, delayRate: 0.3, maxDelayMs: 400 };
const SETTLE_MS = 90_000;
const STEP_GAP_MS = 40;

function isOurCall(params: Record<string, string>): boolean {
  return Object.values(params).includes(OWNER_TAG);
}

export async function runChaos(options: ChaosOptions): Promise<ChaosFigures> {
  const started = performance.now();
  const log = options.log ?? (() => undefined);
  const random = seededRandom(options.seed * 7919 + 1);
  const schedule = chaosSchedule({ seed: options.seed, initialInstances: options.initialInstances ?? 8, steps: options.steps ?? 30 });
  const rc: ReliabilityCloud = await startReliabilityCloud({
    simulator: { seed: options.seed, transitionDelayMs: 15 },
    functions: ['instanceEvents', 'sweep'],
    reservedConcurrency: { instanceEvents: 4, sweep: 1 },
    chaos: { seed: options.seed, ...BUS_CHAOS },
  });
  try {
    const instances: Array<{ instanceId: string; eniIds: string[] }> = [];
    const handMade: WorldSession[] = [];
    const pending: Array<Promise<unknown>> = [];
    let crashRate = 0;
    let faultsOn = false;
    let crashes = 0;
    let hookErrors = 0;
    let stormInvocations = 0;
    const maxCrashes = options.maxCrashes ?? 4;

    const crashHook = (params: Record<string, string>) => {
      if (!isOurCall(params) && params.Action !== 'DeleteTrafficMirrorSession') return;
      if (crashes >= maxCrashes || random() >= crashRate) return;
      let killed = 0;
      for (const lambda of Object.values(rc.cloud.lambdas)) {
        for (const container of lambda.stats().containers) if (container.state === 'busy') killed += lambda.kill(container.id);
      }
      if (killed === 0) return;
      crashes += killed;
      hookErrors += 1;
      throw new Error('chaos: handler process killed');
    };
    // Checked at every create, not only at the end: converge would clean up a duplicate it made, and the final
    // state would not show it.
    const transientViolations: string[] = [];
    const watchDuplicates = (params: Record<string, string>) => {
      if (!isOurCall(params)) return;
      const eniId = params.NetworkInterfaceId;
      const ours = rc.sim.snapshot().sessions.filter((s) => s.networkInterfaceId === eniId && s.tags[OWNER_TAG] !== undefined);
      if (ours.length > 1) transientViolations.push(`duplicate: ${eniId} had ${ours.length} managed sessions at once`);
    };
    const removeHooks = [
      rc.sim.hook('CreateTrafficMirrorSession', 'after', watchDuplicates),
      rc.sim.hook('CreateTrafficMirrorSession', 'before', (params) => crashHook({ ...params, Action: 'CreateTrafficMirrorSession' })),
      rc.sim.hook('CreateTrafficMirrorSession', 'after', (params) => crashHook({ ...params, Action: 'CreateTrafficMirrorSession' })),
      rc.sim.hook('DeleteTrafficMirrorSession', 'before', (params) => crashHook({ ...params, Action: 'DeleteTrafficMirrorSession' })),
    ];

    const apply = async (step: ChaosStep): Promise<void> => {
      const target = 'instance' in step ? instances[step.instance] : undefined;
      switch (step.kind) {
        case 'launch':
          instances.push(...(await rc.launch({ type: step.type, tagged: step.tagged, interfaces: step.interfaces })));
          return;
        case 'tag':
          if (target) await rc.tag(target.instanceId);
          return;
        case 'untag':
          if (target) await rc.untag(target.instanceId);
          return;
        case 'stop':
          if (target) await rc.stopInstance(target.instanceId).catch(() => undefined); // IncorrectInstanceState is fine
          return;
        case 'start':
          if (target) await rc.startInstance(target.instanceId).catch(() => undefined);
          return;
        case 'terminate':
          if (target) await rc.terminate(target.instanceId).catch(() => undefined);
          return;
        case 'hand-made': {
          const eniId = target?.eniIds[0];
          if (!eniId) return;
          const targetId = rc.targetIds[Math.floor(random() * rc.targetIds.length)] as string;
          const sessionNumber = 100 + handMade.length;
          const answer = await rc.ec2
            .send(
              new CreateTrafficMirrorSessionCommand({
                NetworkInterfaceId: eniId,
                TrafficMirrorTargetId: targetId,
                TrafficMirrorFilterId: rc.filterId,
                SessionNumber: sessionNumber,
                TagSpecifications: [{ ResourceType: 'traffic-mirror-session', Tags: [{ Key: 'made-by', Value: 'hand' }] }],
              }),
            )
            .catch(() => undefined); // a full ENI or target, a gone ENI: EC2 says no, as it would to an operator
          const sessionId = answer?.TrafficMirrorSession?.TrafficMirrorSessionId;
          if (sessionId) {
            handMade.push({ sessionId, eniId, targetId, filterId: rc.filterId, sessionNumber, tags: { 'made-by': 'hand' } });
          }
          return;
        }
        case 'storm': {
          if (!target) return;
          const lambda = rc.cloud.lambdas['instanceEvents'];
          for (let copy = 0; copy < step.copies; copy += 1) {
            stormInvocations += 1;
            if (lambda) pending.push(lambda.invokeAsync(fixtureEvent('state-change-running', target.instanceId)));
          }
          return;
        }
        case 'faults':
          faultsOn = step.errorRate > 0;
          rc.sim.setFault('*', step.errorRate > 0 ? { errorRate: step.errorRate, errorCode: step.errorCode } : undefined);
          return;
        case 'crashes':
          crashRate = step.rate;
          return;
        case 'pause':
          await new Promise((resolve) => setTimeout(resolve, step.ms));
          return;
      }
    };

    // Warm containers first, so that handlers run while the schedule is still being played.
    await Promise.all(Object.values(rc.cloud.lambdas).map((lambda) => lambda.prewarm(1)));
    for (const step of schedule) {
      await apply(step);
      await new Promise((resolve) => setTimeout(resolve, STEP_GAP_MS));
    }

    // Let the handlers catch up with faults and crashes still on (EC2 faulty throughout if the schedule left it
    // clean), then with neither, until everything in flight (retries included) is done.
    if (!faultsOn) rc.sim.setFault('*', { errorRate: 0.1, errorCode: 'RequestLimitExceeded' });
    await rc.cloud.settle(SETTLE_MS);
    rc.sim.setFault('*', undefined);
    crashRate = 0;
    const settled = await rc.cloud.settle(SETTLE_MS);
    await Promise.allSettled(pending);
    for (const remove of removeHooks) remove();
    log(`seed ${options.seed}: schedule done (${schedule.length} steps), settled=${settled}`);

    // The scheduled sweep, as deployed (Lambda, now), then the next one after the grace period.
    const lambdaSweep = await rc.cloud.runSchedule('sweep');
    const later = wire(rc.endpoints, {
      targetIds: rc.targetIds,
      filterId: rc.filterId,
      clockOffsetMs: SLOT_GRACE_MS + 60_000,
      env: { MIRROR_OWNER_ID: rc.ownerId },
    });
    let graceSweep: SweepSummary;
    let finalSweep: SweepSummary;
    try {
      graceSweep = await sweep({ eventId: `chaos-${options.seed}-after-grace` }, later.deps, {
        ledger: later.sweepLedger,
        settings: DEFAULT_SWEEP_SETTINGS,
      });
      finalSweep = await sweep({ eventId: `chaos-${options.seed}-final` }, later.deps, {
        ledger: later.sweepLedger,
        settings: DEFAULT_SWEEP_SETTINGS,
      });
    } finally {
      later.destroy();
    }
    const swept = lambdaSweep.value as SweepSummary | undefined;

    const snapshot = rc.sim.snapshot();
    const verdict = await judgeEndState(
      snapshot,
      { documents: rc.documents, tableName: rc.cloud.tableName },
      {
        ownerTagKey: OWNER_TAG,
        ownerId: rc.ownerId,
        poolTargetIds: rc.targetIds,
        handMadeBaseline: handMade,
      },
    );
    const report = verdict.invariants;
    const violations: string[] = [
      ...transientViolations,
      ...verdict.problems,
      ...(lambdaSweep.status === 'succeeded' ? [] : [`sweep Lambda: ${lambdaSweep.status} ${lambdaSweep.error?.errorMessage ?? ''}`]),
    ];
    const eligible = report.checks.find((check) => check.name === 'eligible-mirrored-once')?.examined ?? 0;
    const world = worldFromSnapshot(snapshot);
    const calls = rc.sim.calls();
    const injected =
      Object.values(calls).reduce((sum, c) => sum + (c.errors.RequestLimitExceeded ?? 0) + (c.errors.InternalError ?? 0), 0) - hookErrors;
    const lambdaStats = Object.values(rc.cloud.lambdas).map((lambda) => lambda.stats());
    const bus = rc.cloud.bus.stats();
    const sources = Object.values(rc.cloud.eventSources).map((source) => source.stats());
    const queues = Object.values(rc.cloud.queues).map((queue) => queue.stats());
    return {
      seed: options.seed,
      steps: schedule.length,
      instances: instances.length,
      events: bus.received - rc.cloud.bus.outcomes().length,
      deliveries: bus.deliveries,
      duplicates: bus.duplicated,
      reorders: bus.delayed,
      drops: bus.dropped,
      stormInvocations,
      faults: injected,
      crashes,
      handlerAttempts: lambdaStats.reduce((sum, s) => sum + s.invocations, 0),
      handlerCrashes: lambdaStats.reduce((sum, s) => sum + s.crashes, 0),
      batches: sources.reduce((sum, s) => sum + s.batches, 0),
      failedBatches: sources.reduce((sum, s) => sum + s.failedBatches, 0),
      redeliveries: queues.reduce((sum, q) => sum + q.returned, 0),
      retries: lambdaStats.reduce((sum, s) => sum + s.retries, 0),
      deadLettered: rc.cloud.deadLetters.entries().length,
      handMadeSessions: handMade.length,
      eligibleEnis: eligible,
      managedSessions: world.sessions.filter((session) => session.tags[OWNER_TAG] === rc.ownerId).length,
      sweepAttached: (swept?.attached ?? 0) + graceSweep.attached,
      sweepDetached: (swept?.detached ?? 0) + graceSweep.detached,
      sweepReleased: [...(swept?.decisions ?? []), ...graceSweep.decisions].filter((d) => d.action === 'release').length,
      changesAfterConverged: finalSweep.attached + finalSweep.detached + finalSweep.decisions.filter((d) => d.action === 'release').length,
      violations: violations.length,
      violationDetails: violations,
      wallSeconds: Math.round((performance.now() - started) / 100) / 10,
    };
  } finally {
    await rc.stop();
  }
}
