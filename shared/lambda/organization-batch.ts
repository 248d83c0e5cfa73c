/**
 * The hub's event functions for an organization: the records of a batch are grouped by the (account, Region) their
 * EventBridge event came from (`account`, `region`; a split part carries its instances' scope in its detail), and
 * each group is converged with that scope's dependencies (batch.ts, unchanged), all groups in parallel. A group
 * never fails another: a scope whose spoke role is missing or denied is reported (spoke-access.ts) and its records
 * are acknowledged (the sweep tries again later, nothing retries in a loop); any other failure of a group fails only
 * that group's records. A record whose scope cannot be read is logged with its message id and fails on its own
 * (SQS delivers it again, then the dead-letter queue keeps it); a scope the document does not mirror is logged and
 * acknowledged.
 */
import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { type Scope, scopeOf } from '../config/organization';
import type { ConvergeSummary } from '../converge/converge';
import type { OrganizationPort, RecordDeferral } from '../converge/organization-ports';
import type { ConvergeDeps } from '../converge/ports';
import { ConfigError } from '../domain/errors';
import { CONVERGE_REQUEST_DETAIL_TYPE } from '../domain/events';
import { handleTriggerEvent, isSqsEvent } from './batch';
import { pacingGate } from './pacing-gate';
import { eventIdOf, reportSpokeAccessDenied } from './spoke-access';

/** The (account, Region) an EventBridge event concerns; undefined when it names none. */
export function scopeOfEvent(event: unknown): Scope | undefined {
  if (event === null || typeof event !== 'object') return undefined;
  const envelope = event as { account?: unknown; region?: unknown; 'detail-type'?: unknown; detail?: unknown };
  const detail = (envelope.detail ?? {}) as { accountId?: unknown; region?: unknown };
  const [accountId, region] =
    envelope['detail-type'] === CONVERGE_REQUEST_DETAIL_TYPE && detail.accountId !== undefined
      ? [detail.accountId, detail.region]
      : [envelope.account, envelope.region];
  return scopeOf(accountId, region);
}

export interface OrganizationHandlerDeps {
  readonly organization: OrganizationPort;
  /** For what belongs to no scope (an unreadable record, a scope not in the document). */
  readonly logger: ConvergeDeps['logger'];
  /** Puts back an SQS batch whose account's budget has no room (pacing-gate.ts); without it, batches wait in place. */
  readonly deferral?: RecordDeferral;
}

export async function handleOrganizationTriggerEvent(
  event: unknown,
  deps: OrganizationHandlerDeps,
): Promise<SQSBatchResponse | ConvergeSummary | undefined> {
  await readDocument(deps);
  if (isSqsEvent(event)) return handleOrganizationBatch(event, deps);
  const scope = scopeOfEvent(event);
  if (scope === undefined) {
    deps.logger.error('invalid event', { eventId: eventIdOf(event), reason: 'the event names no account and Region' });
    throw new Error(`event ${eventIdOf(event)} names no account and Region`);
  }
  return convergeScope(scope, event, [event], deps);
}

async function handleOrganizationBatch(event: SQSEvent, deps: OrganizationHandlerDeps): Promise<SQSBatchResponse> {
  const failures: SQSBatchItemFailure[] = [];
  const groups = new Map<string, { scope: Scope; records: SQSRecord[]; bodies: unknown[] }>();
  for (const record of event.Records) {
    const body = parseBody(record);
    const scope = scopeOfEvent(body);
    if (scope === undefined) {
      deps.logger.error('invalid event', {
        messageId: record.messageId,
        eventId: eventIdOf(body),
        reason: body === undefined ? 'message body is not JSON' : 'the event names no account and Region',
      });
      failures.push({ itemIdentifier: record.messageId });
      continue;
    }
    const key = `${scope.accountId}/${scope.region}`;
    const group = groups.get(key) ?? { scope, records: [], bodies: [] };
    group.records.push(record);
    group.bodies.push(body);
    groups.set(key, group);
  }
  const answers = await Promise.all(
    [...groups.values()].map(async ({ scope, records, bodies }) => {
      try {
        const answer = await convergeScope(scope, { Records: records }, bodies, deps);
        return answer !== undefined && 'batchItemFailures' in answer ? answer.batchItemFailures : [];
      } catch (error) {
        deps.logger.error('scope failed', {
          accountId: scope.accountId,
          region: scope.region,
          records: records.length,
          error: error as Error,
        });
        return records.map((record) => ({ itemIdentifier: record.messageId }));
      }
    }),
  );
  return { batchItemFailures: [...failures, ...answers.flat()] };
}

/**
 * The document first: a malformed one (ConfigError) fails the whole invocation, logged once, whatever the records
 * say. The batch then comes back whole and, unless the document is fixed meanwhile, SQS moves its messages to the
 * dead-letter queue after queueMaxReceiveCount receives (unchanged, to be replayed or left to the sweep); the
 * function's Errors alarm shows it. Nothing is retried forever.
 */
async function readDocument(deps: OrganizationHandlerDeps): Promise<void> {
  try {
    await deps.organization.document();
  } catch (error) {
    if (error instanceof ConfigError) deps.logger.error('organization document refused', { parameter: error.variable, error });
    throw error;
  }
}

/** Converges what the scope's records name; a denied scope is reported and its records acknowledged. */
async function convergeScope(
  scope: Scope,
  event: unknown,
  bodies: readonly unknown[],
  deps: OrganizationHandlerDeps,
): Promise<SQSBatchResponse | ConvergeSummary | undefined> {
  const scoped = await deps.organization.depsFor(scope);
  if (scoped === undefined) {
    deps.logger.warn('scope not mirrored by the organization document', {
      accountId: scope.accountId,
      region: scope.region,
      events: bodies.length,
    });
    return undefined;
  }
  try {
    return await handleTriggerEvent(
      event,
      scoped,
      deps.deferral ? { gate: pacingGate(scoped, deps.deferral), deferral: deps.deferral } : {},
    );
  } catch (error) {
    if (!deps.organization.isAccessDenied(error)) throw error;
    await reportSpokeAccessDenied(scoped, error, bodies);
    return isSqsEvent(event) ? { batchItemFailures: [] } : undefined;
  } finally {
    // Tokens claimed for this batch and not spent are not kept for another (pacing.ts says why).
    scoped.pacing.bucket.dropClaimed();
  }
}

function parseBody(record: SQSRecord): unknown {
  try {
    return JSON.parse(record.body);
  } catch {
    return undefined;
  }
}
