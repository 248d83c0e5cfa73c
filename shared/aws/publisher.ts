/**
 * What we put on EventBridge, in PutEvents batches of 10: outcome events (schema pinned in docs/ARCHITECTURE.md), and
 * the parts of a trigger too large for one invocation (shared/lambda/split.ts).
 */
import { type EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { ConvergeRequest, OutcomeEvent, PublisherPort } from '../converge/ports';
import { RetryableError } from '../domain/errors';
import { CONVERGE_REQUEST_DETAIL_TYPE, CONVERGE_REQUEST_SOURCE } from '../domain/events';
import { chunks } from '../util/chunks';
import { withDomainErrors } from './error-mapping';

export const OUTCOME_SOURCE = 'vpc-mirror-orchestrator';
export const OUTCOME_SCHEMA_VERSION = 1;
/** The stack's rules live on the default bus, whatever bus the outcome events go to. */
const RULES_BUS = 'default';
const ENTRIES_PER_CALL = 10;
const MAX_ATTEMPTS = 3;

export const DETAIL_TYPES: Readonly<Record<OutcomeEvent['action'], string>> = {
  attach: 'Mirror Session Attached',
  detach: 'Mirror Session Detached',
  refuse: 'Mirror Session Refused',
  detect: 'Unmanaged Mirror Session Detected',
};

export interface PublisherOptions {
  readonly client: EventBridgeClient;
  readonly eventBusName: string;
  readonly ownerId: string;
}

export function createPublisher(options: PublisherOptions): PublisherPort {
  function toEntry(event: OutcomeEvent): PutEventsRequestEntry {
    const detail = { schemaVersion: OUTCOME_SCHEMA_VERSION, ...event, ownerId: options.ownerId };
    return {
      EventBusName: options.eventBusName,
      Source: OUTCOME_SOURCE,
      DetailType: DETAIL_TYPES[event.action],
      Detail: JSON.stringify(detail),
    };
  }

  async function putBatch(entries: PutEventsRequestEntry[]): Promise<void> {
    let pending = entries;
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      const request = new PutEventsCommand({ Entries: pending });
      const answer = await withDomainErrors('EventBridge PutEvents', () => options.client.send(request));
      if (!answer.FailedEntryCount) return;
      // Entries answer in request order; only the failed ones are sent again.
      const failed = pending.filter((_, index) => answer.Entries?.[index]?.ErrorCode !== undefined);
      if (attempt >= MAX_ATTEMPTS) {
        const codes = [...new Set((answer.Entries ?? []).flatMap((entry) => (entry.ErrorCode ? [entry.ErrorCode] : [])))];
        throw new RetryableError(`EventBridge PutEvents: ${failed.length} entries failed after ${attempt} attempts (${codes.join(', ')})`);
      }
      pending = failed;
    }
  }

  return {
    async publish(events: readonly OutcomeEvent[]): Promise<void> {
      const entries = events.map(toEntry);
      for (const batch of chunks(entries, ENTRIES_PER_CALL)) await putBatch(batch);
    },

    async requestConverge(requests: readonly ConvergeRequest[]): Promise<void> {
      const entries = requests.map(
        (request): PutEventsRequestEntry => ({
          EventBusName: RULES_BUS,
          Source: CONVERGE_REQUEST_SOURCE,
          DetailType: CONVERGE_REQUEST_DETAIL_TYPE,
          Detail: JSON.stringify({ ...request, ownerId: options.ownerId }),
        }),
      );
      for (const batch of chunks(entries, ENTRIES_PER_CALL)) await putBatch(batch);
    },
  };
}
