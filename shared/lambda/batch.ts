/**
 * A batch of trigger events from the function's SQS queue (EventBridge rule -> queue -> event source mapping):
 * every record is parsed on its own, the instances they name are read and planned ONCE (one DescribeInstances,
 * one DescribeTrafficMirrorSessions for up to 10 events), each instance is applied under the id of the event that
 * named it, and the answer is a partial batch response: only the records that were malformed or named an instance
 * whose converge failed come back (bounded by the queue's maxReceiveCount, then the DLQ keeps the message).
 * Refusals are outcomes, not failures. Reading EC2 or the ledger failing fails the whole batch (thrown).
 * Before that: outcome events earlier runs left in the outbox are sent (outbox.ts); a record that would take the
 * invocation past its bound is split into parts instead (split.ts); instances whose read is behind what their event
 * says are read again, bounded, after the others are applied (catch-up.ts).
 */
import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { applyPlansReporting, type ConvergeSummary, type DecisionRecord, summarize } from '../converge/converge';
import { deferralsOf, type RecordDeferral } from '../converge/organization-ports';
import { flushOutboxBeforeConverge } from '../converge/outbox';
import type { ConvergeDeps } from '../converge/ports';
import { type InstancePlan, readAndPlan } from '../converge/read-and-plan';
import { DeadlineReachedError, InvalidEventError } from '../domain/errors';
import type { EventClaims, Trigger } from '../domain/events';
import { catchUp, logLeftToSweep, partitionByClaims } from './catch-up';
import { handleTrigger, readTrigger } from './handle-trigger';
import { mustSplit, requestParts } from './split';

/** How many times in a row a record may be handed on at the deadline before it fails as usual. */
const MAX_HAND_ONS = 5;

/** True for Lambda's SQS event source shape: every record comes from aws:sqs. */
export function isSqsEvent(event: unknown): event is SQSEvent {
  if (event === null || typeof event !== 'object') return false;
  const records = (event as { Records?: unknown }).Records;
  return (
    Array.isArray(records) &&
    records.length > 0 &&
    records.every(
      (record) => record !== null && typeof record === 'object' && (record as { eventSource?: unknown }).eventSource === 'aws:sqs',
    )
  );
}

/**
 * The handler body of the event-driven functions: an SQS batch gets a partial batch response; a direct
 * EventBridge event is converged as before and throws on failure (async retries, then the on-failure destination).
 */
/**
 * Asked once per SQS batch, between planning and applying: 'deferred' when the gate has put the records that name
 * instances back on their queue for later (the plans are dropped, the records acknowledged), 'apply' otherwise.
 */
export type ApplyGate = (plans: readonly InstancePlan[], records: readonly SQSRecord[]) => Promise<'apply' | 'deferred'>;

export interface BatchOptions {
  readonly gate?: ApplyGate;
  /** Puts back on their queue the records of instances this invocation had no time left for (handOn below). */
  readonly deferral?: RecordDeferral;
}

export async function handleTriggerEvent(
  event: unknown,
  deps: ConvergeDeps,
  options: BatchOptions = {},
): Promise<SQSBatchResponse | ConvergeSummary> {
  // Outcome events an earlier invocation could not send go first (at least once, shared/converge/outbox.ts).
  await flushOutboxBeforeConverge(deps);
  return isSqsEvent(event) ? handleSqsBatch(event, deps, options) : handleTrigger(event, deps);
}

interface NamedInstance {
  /** The latest record naming the instance gives the trigger event id of its decisions, and the claims to check. */
  eventId: string;
  claims: EventClaims | undefined;
  eventTime: string | undefined;
  readonly messageIds: Set<string>;
}

export async function handleSqsBatch(event: SQSEvent, deps: ConvergeDeps, options: BatchOptions = {}): Promise<SQSBatchResponse> {
  const { gate, deferral } = options;
  const failed = new Set<string>();
  /** Instances left for another invocation: EC2 still throttled them at this one's deadline. */
  const handedOn = new Set<string>();
  const byInstance = new Map<string, NamedInstance>();
  const toSplit: { record: SQSRecord; trigger: Trigger }[] = [];
  let ignored = 0;
  for (const record of event.Records) {
    const trigger = readRecord(record, deps);
    if (trigger === undefined) {
      failed.add(record.messageId);
      continue;
    }
    if (trigger.ignoredReason !== undefined) {
      ignored += 1;
      deps.logger.info('event ignored', {
        messageId: record.messageId,
        triggerEventId: trigger.eventId,
        kind: trigger.kind,
        reason: trigger.ignoredReason,
      });
      continue;
    }
    if (mustSplit(trigger, new Set(byInstance.keys()))) {
      toSplit.push({ record, trigger });
      continue;
    }
    for (const instanceId of trigger.instanceIds) {
      const named = byInstance.get(instanceId) ?? {
        eventId: trigger.eventId,
        claims: undefined,
        eventTime: undefined,
        messageIds: new Set<string>(),
      };
      named.eventId = trigger.eventId;
      named.claims = trigger.claims;
      named.eventTime = trigger.eventTime;
      named.messageIds.add(record.messageId);
      byInstance.set(instanceId, named);
    }
  }

  // Too large for this invocation: handed on in parts, each converged by its own invocation (split.ts).
  for (const { record, trigger } of toSplit) {
    if (!(await requestParts(trigger, deps, { messageId: record.messageId }))) failed.add(record.messageId);
  }

  const decisions: DecisionRecord[] = [];
  const failedInstances: string[] = [];
  // The instances of the batch are applied together, each under the event that named it last: one run of the
  // ledger's batched writes (published events leave the outbox in one batch), failures isolated per instance.
  const applyEach = async (plans: readonly InstancePlan[]) => {
    const named = plans.filter((plan) => byInstance.has(plan.instanceId));
    const applied = await applyPlansReporting(
      named,
      (plan) => {
        const { eventId, eventTime, messageIds } = byInstance.get(plan.instanceId) as NamedInstance;
        // A failed instance fails its records (below), and SQS delivers them again.
        return { eventId, ...(eventTime ? { eventTime } : {}), redeliveredAs: [...messageIds] };
      },
      deps,
    );
    decisions.push(...applied.summary.decisions);
    for (const [instanceId, error] of applied.failures) {
      if (error instanceof DeadlineReachedError && deferral !== undefined) {
        handedOn.add(instanceId);
        continue;
      }
      // applyPlans has logged the instance's `fail` decision.
      failedInstances.push(instanceId);
      for (const messageId of byInstance.get(instanceId)?.messageIds ?? []) failed.add(messageId);
    }
  };

  const claimsOf = (instanceId: string) => byInstance.get(instanceId)?.claims;
  const { ready, lagging } = partitionByClaims(await readAndPlan([...byInstance.keys()], deps), claimsOf);
  if (gate !== undefined && (await gate(ready, recordsNaming(event, byInstance))) === 'deferred') {
    deps.logger.info('deferred batch', { records: event.Records.length, ignored, split: toSplit.length, instances: byInstance.size });
    return { batchItemFailures: failuresOf(event, failed) };
  }
  await applyEach(ready);
  // Instances whose read is behind their event wait for EC2 to catch up, after the others are done.
  const caught = await catchUp(lagging, claimsOf, deps);
  await applyEach(caught.plans);
  logLeftToSweep(caught.behind, (instanceId) => byInstance.get(instanceId)?.eventId, deps);
  const handedOnRecords = deferral === undefined ? [] : await handOn(event, byInstance, handedOn, failed, deferral, deps);

  const batchItemFailures = failuresOf(event, failed);
  const { attached, detached, refused, skipped, kept } = summarize(decisions);
  deps.logger.info('converged batch', {
    records: event.Records.length,
    ignored,
    split: toSplit.length,
    instances: byInstance.size,
    failedInstances,
    behindInstances: caught.behind.map((item) => item.instanceId),
    handedOnInstances: [...handedOn],
    handedOnRecords,
    attached,
    detached,
    refused,
    skipped,
    kept,
    retriedRecords: batchItemFailures.map((failure) => failure.itemIdentifier),
  });
  return { batchItemFailures };
}

/**
 * The records of instances left for another invocation, put back on their queue as new messages, visible at once:
 * the next invocation converges them (a record SQS returned after a failure would wait out the queue's 420-s
 * visibility timeout, and Lambda killing the invocation at its timeout would lose what it did not record). A record
 * that also names a failed instance fails with it; one handed on MAX_HAND_ONS times already, or not taken back by
 * SQS, fails as usual (maxReceiveCount, then the DLQ; the sweep repairs). Returns the message ids handed on.
 */
async function handOn(
  event: SQSEvent,
  byInstance: ReadonlyMap<string, NamedInstance>,
  handedOn: ReadonlySet<string>,
  failed: Set<string>,
  deferral: RecordDeferral,
  deps: ConvergeDeps,
): Promise<string[]> {
  if (handedOn.size === 0) return [];
  const messageIds = new Set([...handedOn].flatMap((instanceId) => [...(byInstance.get(instanceId)?.messageIds ?? [])]));
  const records = event.Records.filter((record) => messageIds.has(record.messageId) && !failed.has(record.messageId));
  const again = records.filter((record) => deferralsOf(record, 'handed-on') < MAX_HAND_ONS);
  let deferred: ReadonlySet<string> = new Set();
  try {
    deferred = await deferral.defer(again, 0, 'handed-on');
  } catch (error) {
    deps.logger.error('records not handed on', { messageIds: again.map((record) => record.messageId), error: error as Error });
  }
  for (const record of records) if (!deferred.has(record.messageId)) failed.add(record.messageId);
  return [...deferred];
}

/** The batch's records that name an instance (not failed, not ignored, not split). */
function recordsNaming(event: SQSEvent, byInstance: ReadonlyMap<string, NamedInstance>): SQSRecord[] {
  const naming = new Set([...byInstance.values()].flatMap((named) => [...named.messageIds]));
  return event.Records.filter((record) => naming.has(record.messageId));
}

function failuresOf(event: SQSEvent, failed: ReadonlySet<string>): SQSBatchItemFailure[] {
  return event.Records.filter((record) => failed.has(record.messageId)).map((record) => ({ itemIdentifier: record.messageId }));
}

/** The record's trigger, or undefined when the record is malformed (logged with its message id and event id). */
function readRecord(record: SQSRecord, deps: ConvergeDeps): Trigger | undefined {
  const where = { messageId: record.messageId, receiveCount: record.attributes?.ApproximateReceiveCount };
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch (error) {
    deps.logger.error('invalid event', { ...where, eventId: 'unknown', reason: `message body is not JSON: ${(error as Error).message}` });
    return undefined;
  }
  try {
    return readTrigger(body, deps, where);
  } catch (error) {
    if (error instanceof InvalidEventError) return undefined;
    throw error;
  }
}
