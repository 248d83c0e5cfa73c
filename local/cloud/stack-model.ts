/** What the local cloud takes from the stack: functions, rules, queues, schedules, the ledger table. */
import type { EventPattern } from '@vpc-mirror-orchestrator/local-lambda';

export interface StackRule {
  /** e.g. instanceEvents-rule-1 */
  readonly name: string;
  readonly functionKey: string;
  readonly pattern: EventPattern;
  /** Bus name from `eventBus` (an ARN is reduced to its name); undefined means the default bus. */
  readonly eventBusName: string | undefined;
  readonly enabled: boolean;
  /** Set when the rule targets a queue (rule -> queue -> function): the queue's logical id. */
  readonly queueLogicalId?: string;
}

/** An AWS::SQS::Queue resource. */
export interface StackQueue {
  readonly logicalId: string;
  /** QueueName, else <service>-<stage>-<logicalId> (CloudFormation would generate one). */
  readonly name: string;
  readonly visibilityTimeoutSeconds: number | undefined;
  /** RedrivePolicy.maxReceiveCount. */
  readonly maxReceiveCount: number | undefined;
  /** RedrivePolicy.deadLetterTargetArn as written (JSON of the intrinsic). */
  readonly deadLetterTarget: string | undefined;
}

/** A function's `events: - sqs:` (an SQS event source mapping). */
export interface StackQueueSource {
  readonly queueLogicalId: string;
  readonly batchSize: number;
  readonly maximumBatchingWindowSeconds: number;
  readonly reportBatchItemFailures: boolean;
  /** ScalingConfig.MaximumConcurrency; undefined: Lambda's own scaling. */
  readonly maximumConcurrency: number | undefined;
  readonly enabled: boolean;
}

export interface StackSchedule {
  readonly name: string;
  readonly functionKey: string;
  /** `rate(5 minutes)` or `cron(...)` */
  readonly expression: string;
  readonly rateMs: number | undefined;
  readonly enabled: boolean;
  readonly input: unknown;
}

export interface StackFunction {
  /** The key under `functions:` (instanceEvents). */
  readonly key: string;
  /** The deployed name: <service>-<stage>-<key>. */
  readonly functionName: string;
  /** As written: functions/instance-events.handler */
  readonly handler: string;
  /** Repo-relative module path without extension (functions/instance-events) and the export (handler). */
  readonly modulePath: string;
  readonly exportName: string;
  readonly timeoutSeconds: number;
  readonly memorySizeMb: number;
  readonly maximumRetryAttempts: number;
  readonly reservedConcurrency: number | undefined;
  readonly onFailureDestination: string | undefined;
  /** provider.environment merged with the function's, resolved; unresolvable entries are absent. */
  readonly environment: Readonly<Record<string, string>>;
  /** Rules that reach this function, directly or through its queue. */
  readonly rules: readonly StackRule[];
  readonly schedules: readonly StackSchedule[];
  /** SQS event source mappings. */
  readonly queueSources: readonly StackQueueSource[];
}

export interface Stack {
  readonly file: string;
  readonly service: string;
  readonly stage: string;
  readonly region: string;
  readonly functions: readonly StackFunction[];
  readonly rules: readonly StackRule[];
  readonly schedules: readonly StackSchedule[];
  /** Every AWS::SQS::Queue of resources.Resources except the dead-letter queue targets (which only receive). */
  readonly queues: readonly StackQueue[];
  /** resources.Resources.LedgerTable.Properties, variables resolved (intrinsics left as they are). */
  readonly ledgerTable: Readonly<Record<string, unknown>>;
  /** Where a value could not be resolved locally (dotted paths), e.g. provider.environment.LEDGER_TABLE_NAME. */
  readonly unresolved: readonly string[];
}

export class StackError extends Error {
  override readonly name = 'StackError';
}

export interface ReadStackOptions {
  /** Defaults to provider.stage, else dev. */
  readonly stage?: string;
  /** Overrides for ${param:NAME}, winning over params.<stage> and params.default. */
  readonly params?: Readonly<Record<string, string>>;
}
