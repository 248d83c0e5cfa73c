/** What one burst measured: raw figures, turned into report rows by burst/rows.ts. */
import type { CallCount } from '@vpc-mirror-orchestrator/ec2-sim';
import type { EventSourceStats, LambdaStats, QueueStats } from '@vpc-mirror-orchestrator/local-lambda';
import type { InvariantReport } from '../../local/oracle';
import type { DynamoCounts } from '../dynamo-counter';
import type { StopMeasurement } from './stop';

export interface ConvergenceTimes {
  /** Seconds from the launch of the burst until every eligible ENI had a managed session; undefined: timed out. */
  readonly convergedSeconds: number | undefined;
  /** Seconds until the first session, and until half and 90 % of them existed. */
  readonly firstSessionSeconds: number | undefined;
  readonly halfSeconds: number | undefined;
  readonly ninetyPercentSeconds: number | undefined;
  /** Managed sessions on eligible ENIs when the wait ended. */
  readonly sessionsAtEnd: number;
}

export interface BurstMeasurement {
  readonly instances: number;
  readonly instancesWithTwoEnis: number;
  /** ENIs that must end up mirrored (every ENI of the supported instances). */
  readonly expectedSessions: number;
  readonly interfaceTargets: number;
  readonly loadBalancerTargets: number;
  readonly timeScale: number;
  readonly concurrency: Readonly<Record<string, number>>;
  /** serverless.yml memorySize per function (MB). */
  readonly memorySizeMb: Readonly<Record<string, number>>;
  readonly times: ConvergenceTimes;
  /** Seconds from convergence until every function was idle again (late and duplicate events). */
  readonly settleSeconds: number | undefined;
  readonly physicalLimitSeconds: number;
  /** Simulator counters over the burst, the bench's own RunInstances calls removed. */
  readonly ec2Calls: Readonly<Record<string, CallCount>>;
  readonly dynamo: DynamoCounts;
  readonly lambdas: readonly LambdaStats[];
  readonly deadLetters: number;
  /** Admitted CreateTrafficMirrorSession calls that repeated a ClientToken already used: idempotent replays. */
  readonly createReplays: number;
  /** Seconds from the launch to each admitted CreateTrafficMirrorSession, in order. */
  readonly createsAdmittedAt: readonly number[];
  /** Event queues (rule -> queue -> function), when the stack has them. */
  readonly queues: readonly (QueueStats & { readonly name: string })[];
  /** The SQS event source mappings: batches, records, failed records (ReportBatchItemFailures). */
  readonly eventSources: readonly (EventSourceStats & { readonly functionKey: string })[];
  readonly invariants: InvariantReport;
  /** Managed sessions in the final world (whatever their ENI). */
  readonly managedSessions: number;
  readonly logLevels: Readonly<Record<string, number>>;
  /** The handlers' decision lines, "action:reason" -> count. */
  readonly decisions: Readonly<Record<string, number>>;
  /** Instances whose sessions were attached by more than one invocation (a launch converged in two batches). */
  readonly instancesAttachedByTwo: number;
  /** "<function> <kind>: <errorType>: <message>" -> attempts that failed that way. */
  readonly failureKinds: Readonly<Record<string, number>>;
  /** Attempt durations (ms): a container's first invocation (lazy compilation, first connections) and the rest. */
  readonly durations: { readonly firstInContainer: readonly number[]; readonly later: readonly number[] };
  /** CPU ms over the burst (launch to idle): handler containers, and this process (dynalite, simulator, bus). */
  readonly cpu: {
    readonly handlerMs: number;
    readonly localCloudMs: number;
    readonly wallSeconds: number;
    readonly containersMeasured: number;
  };
  /** 1-minute load average when the burst started and ended: other work on a shared machine shows here. */
  readonly loadAverage: { readonly start: number; readonly end: number; readonly cores: number };
  /** The stop that followed: every launched instance stopped at once (burst/stop.ts). */
  readonly stop: StopMeasurement;
}
