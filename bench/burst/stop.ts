/**
 * The stop that follows a burst: every instance the burst launched is stopped at once (a handful of StopInstances
 * calls, as a nightly shutdown or a scale-in does), with AWS's buckets still on, and the clock runs until no
 * managed session is left. Each instance sends two events (stopping, stopped); under the default stop policy every
 * session goes, one DeleteTrafficMirrorSession each, from its own bucket (50 at once, then 5 a second).
 */
import { type EC2Client, StopInstancesCommand } from '@aws-sdk/client-ec2';
import type { CallCount, Simulator } from '@vpc-mirror-orchestrator/ec2-sim';
import type { LocalCloud } from '../../local/cloud';
import { checkInvariants, type InvariantReport, worldFromSnapshot } from '../../local/oracle';
import { OWNER_TAG } from '../../shared/aws/ownership';
import { chunks } from '../../shared/util/chunks';
import type { DynamoCounter, DynamoCounts } from '../dynamo-counter';
import { failedAttempts } from './figures';
import { type Identity, invariantOptionsOf } from './identity';
import { physicalLimitSeconds } from './physical-limit';

/** Instances per StopInstances call: a few calls at once, as an operator's script or a scheduler sends them. */
const INSTANCES_PER_STOP_CALL = 50;
const POLL_MS = 100;
const SETTLE_MS = 60_000;

export interface StopMeasurement {
  readonly sessionsBefore: number;
  /** Seconds from the StopInstances calls until no managed session was left; undefined: timed out. */
  readonly removedSeconds: number | undefined;
  readonly sessionsLeft: number;
  readonly physicalLimitSeconds: number;
  /** Simulator counters over the stop, the bench's own StopInstances calls removed. */
  readonly ec2Calls: Readonly<Record<string, CallCount>>;
  readonly dynamo: DynamoCounts;
  /** Attempts that threw, timed out or crashed, plus records reported failed, during the stop. */
  readonly failed: number;
  /** The handlers' decision lines during the stop, "action:reason" -> count. */
  readonly decisions: Readonly<Record<string, number>>;
  /** "<function> <kind>: <errorType>: <message>" -> attempts that failed that way during the stop. */
  readonly failureKinds: Readonly<Record<string, number>>;
  /** Records put back on their queue by invocations EC2 throttled to their deadline (messages beyond the events). */
  readonly handedOn: number;
  readonly invariants: InvariantReport;
}

interface StopContext {
  readonly cloud: LocalCloud;
  readonly simulator: Simulator;
  readonly ec2: EC2Client;
  readonly counter: DynamoCounter;
  readonly identity: Identity;
  readonly poolTargetIds: readonly string[];
  readonly instanceIds: readonly string[];
  readonly timeScale: number;
  readonly timeoutMs: number;
  /** The handlers' decision lines so far ("action:reason" -> count), kept up to date by the log sink. */
  readonly decisions: Readonly<Record<string, number>>;
  /** Failed attempts so far by kind, kept up to date by the invocation reports. */
  readonly failureKinds: Readonly<Record<string, number>>;
  readonly log: (line: string) => void;
}

/** What a running count gained since `before`. */
function countsSince(now: Readonly<Record<string, number>>, before: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(now)
      .map(([key, count]) => [key, count - (before[key] ?? 0)] as const)
      .filter(([, count]) => count > 0),
  );
}

/** Every message sent to the queues so far: the rules' events and what the handlers put back. */
const messagesSoFar = (cloud: LocalCloud): number => Object.values(cloud.queues).reduce((sum, queue) => sum + queue.stats().sent, 0);

const failuresSoFar = (cloud: LocalCloud): number =>
  failedAttempts(
    Object.values(cloud.lambdas).map((lambda) => lambda.stats()),
    Object.values(cloud.eventSources).map((source) => source.stats()),
  );

export async function stopTheFleet(context: StopContext): Promise<StopMeasurement> {
  const { cloud, simulator, counter, identity } = context;
  const managed = () => simulator.snapshot().sessions.filter((session) => session.tags[OWNER_TAG] === identity.ownerId).length;
  const sessionsBefore = managed();
  const failedBefore = failuresSoFar(cloud);
  const decisionsBefore = { ...context.decisions };
  const failureKindsBefore = { ...context.failureKinds };
  const messagesBefore = messagesSoFar(cloud);
  simulator.resetCalls();
  counter.reset();
  context.log(`stop: ${context.instanceIds.length} instances with ${sessionsBefore} managed sessions, throttling on x${context.timeScale}`);
  const started = performance.now();
  await Promise.all(
    chunks([...context.instanceIds], INSTANCES_PER_STOP_CALL).map((InstanceIds) =>
      context.ec2.send(new StopInstancesCommand({ InstanceIds })),
    ),
  );
  let left = sessionsBefore;
  while (left > 0 && performance.now() - started < context.timeoutMs) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    left = managed();
  }
  const removedSeconds = left === 0 ? (performance.now() - started) / 1000 : undefined;
  context.log(
    removedSeconds === undefined
      ? `stop: ${left} sessions left when the wait ended`
      : `stop: sessions gone in ${removedSeconds.toFixed(2)} s`,
  );
  await cloud.settle(SETTLE_MS);
  const { StopInstances: _bench, ...ec2Calls } = simulator.calls();
  return {
    sessionsBefore,
    removedSeconds,
    sessionsLeft: left,
    physicalLimitSeconds: physicalLimitSeconds(sessionsBefore, context.timeScale),
    ec2Calls,
    dynamo: counter.counts(),
    failed: failuresSoFar(cloud) - failedBefore,
    decisions: countsSince(context.decisions, decisionsBefore),
    failureKinds: countsSince(context.failureKinds, failureKindsBefore),
    // Each stopped instance sends two events (stopping, stopped), one message each.
    handedOn: messagesSoFar(cloud) - messagesBefore - 2 * context.instanceIds.length,
    invariants: checkInvariants(worldFromSnapshot(simulator.snapshot()), invariantOptionsOf(identity, context.poolTargetIds)),
  };
}
